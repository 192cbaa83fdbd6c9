"""`/round`: a live round the whole channel plays together, against the clock."""

from bot.client import QuizBot
from bot.exts.rounds._cog import Rounds


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Rounds(bot))
