"""`/quiz`, `/review` and `/due`: personal study sessions, stored so they survive restarts."""

from bot.client import QuizBot
from bot.exts.quiz._cog import Quiz
from bot.exts.quiz._review import Review


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Quiz(bot))
    await bot.add_cog(Review(bot))
