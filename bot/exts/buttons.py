"""Persistent buttons: all their state is in the custom_id, so they survive restarts.

Each family of buttons is one `PersistentButton` subclass with its own template. Its
`parse` reads the click's state from the custom_id once, and the bot hands that state to
the family's handler, registered with `QuizBot.add_buttons`. What every click needs is
done here, once: a click while the bot stops is refused politely, a button that belongs
to someone else says so, the click counts as being handled (a stop waits for it) until it
ends, and an error is answered like a command's.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import discord

from bot.domain.errors import DomainError
from bot.interactions import answer_errors_of

if TYPE_CHECKING:
    from bot.client import QuizBot

State = TypeVar("State")
# A family's handler: the click, and the state its custom_id holds.
ClickHandler = Callable[["discord.Interaction[QuizBot]", State], Awaitable[None]]

# The base never matches anything itself; only its subclasses are registered.
_NEVER = re.compile(r"(?!)")


class NotYourButtonError(DomainError):
    def __init__(self, command: str) -> None:
        super().__init__(f"This button belongs to someone else. Run `/{command}` yourself.")


class PersistentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], Generic[State], template=_NEVER
):
    """One family of buttons, by the template of its custom_id."""

    pattern: ClassVar[re.Pattern[str]] = _NEVER
    # What the family's custom_ids start with, before the first ":".
    prefix: ClassVar[str] = ""
    # The command that makes this family's buttons, named when someone else's is clicked.
    command: ClassVar[str] = ""
    state: State

    def __init_subclass__(cls, *, template: re.Pattern[str]) -> None:
        super().__init_subclass__(template=template)
        cls.pattern = template

    def __init__(
        self,
        custom_id: str,
        *,
        label: str,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
        disabled: bool = False,
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=style, custom_id=custom_id, disabled=disabled
        )
        super().__init__(button, row=row)

    @classmethod
    def id_for(cls, *parts: object) -> str:
        """The custom_id of this family holding ``parts``."""
        value = ":".join(map(str, (cls.prefix, *parts)))
        if not cls.pattern.fullmatch(value):
            raise ValueError(f"not a {cls.__name__} custom_id: {value!r}")
        return value

    @classmethod
    def make(
        cls,
        *parts: object,
        label: str,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
        disabled: bool = False,
    ) -> Self:
        """A button of this family whose custom_id holds ``parts``."""
        return cls(cls.id_for(*parts), label=label, style=style, row=row, disabled=disabled)

    @classmethod
    def parse(cls, match: re.Match[str]) -> State:
        """The state a custom_id of this family holds (its template matched in full)."""
        raise NotImplementedError

    @classmethod
    def owner(cls, state: State) -> int | None:
        """The only member who may click, if the custom_id names one."""
        return None

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        button = cls(match.string, label=getattr(item, "label", None) or "?")
        button.state = cls.parse(match)
        return button

    async def callback(self, interaction: discord.Interaction[QuizBot]) -> None:  # type: ignore[override]
        handler = interaction.client.button_handler(type(self))
        await answer_errors_of(interaction, type(self).__name__, self._click(interaction, handler))

    async def _click(
        self, interaction: discord.Interaction[QuizBot], handler: ClickHandler[State]
    ) -> None:
        owner = self.owner(self.state)
        if owner is not None and interaction.user.id != owner:
            raise NotYourButtonError(self.command)
        await handler(interaction, self.state)
