"""`/streak`, `/leaderboard`, `/stats`, `/season start` and `/forgetme`."""

from bot.client import QuizBot
from bot.exts.stats._cog import Stats


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Stats(bot))
