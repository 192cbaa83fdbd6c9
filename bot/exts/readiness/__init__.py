"""`/readiness`: predicted recall per topic, the weakest topics to study, and a plan
for an exam date set with `/settings exam-date`."""

from bot.client import QuizBot
from bot.exts.readiness._cog import Readiness


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Readiness(bot))
