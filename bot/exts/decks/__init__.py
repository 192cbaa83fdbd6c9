"""`/decks`: browse the flashcard decks; import, export and remove a server's own."""

from bot.client import QuizBot
from bot.exts.decks._cog import Decks


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Decks(bot))
