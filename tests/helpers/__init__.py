"""What several test modules share: driving the bot through the fake Discord and reading
its database."""
