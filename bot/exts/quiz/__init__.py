"""`/quiz`: personal quiz sessions in three modes, stored so they survive restarts."""

from bot.client import QuizBot
from bot.exts.quiz._cog import Quiz


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Quiz(bot))
