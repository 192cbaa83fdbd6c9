"""`/settings`: time zones for members and servers, new cards a day, retention and exam
dates."""

from bot.client import QuizBot
from bot.exts.settings._cog import Settings


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Settings(bot))
