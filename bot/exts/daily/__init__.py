"""`/daily`: one question a day in a channel, posted on time and once, revealed later."""

from bot.client import QuizBot
from bot.exts.daily._cog import Daily


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Daily(bot))
