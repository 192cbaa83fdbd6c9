"""`/decks`: browse the flashcard decks."""

from bot.client import QuizBot
from bot.exts.decks._cog import Decks


async def setup(bot: QuizBot) -> None:
    await bot.add_cog(Decks(bot))
