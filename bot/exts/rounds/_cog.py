"""The Discord layer of `/round`: commands, answer clicks and forms, and the round's steps.

Every step of a round (ask, hint, reveal, next question) is a stored deadline served by
the bot's one timer loop (`bot.timers`); the step's handler here talks to Discord and
stores the outcome. Clicks store answers and acknowledge them privately, and mark the
answer count for an edit (`LiveCounts`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import UNKNOWN_FORM, QuizBot
from bot.domain.answers import Letter, Mode
from bot.domain.catalog import DeckCatalog
from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.grading import grade_typed_answer
from bot.domain.playable import UnplayableError, check_playable
from bot.domain.quiz import Question, build_question
from bot.domain.rounds import (
    DEFAULT_QUESTIONS,
    DEFAULT_SECONDS,
    MAX_QUESTIONS,
    MAX_SECONDS,
    MIN_QUESTIONS,
    MIN_SECONDS,
    EndReason,
    Phase,
    Standing,
    check_round_options,
    choose_cards,
    deadline_after_restart,
    hint_at,
    typed_is_right,
)
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete, topic_autocomplete
from bot.exts.embeds import clip
from bot.exts.live import LiveCounts
from bot.exts.rounds import _render as render
from bot.exts.rounds._buttons import (
    LETTERS,
    RoundButton,
    RoundClick,
    again_view,
    answer_view,
    form_id,
    question_prefix,
)
from bot.interactions import answer_errors_of
from bot.members import member_name
from bot.storage.rounds import ROUND_TIMER, NewRound, Round, RoundAnswerOutcome

log = logging.getLogger(__name__)

ANSWER_INPUT_ID = "answer"
MAX_TYPED = 400
# A step that failed on a Discord error other than a missing channel or permission is
# tried again this much later.
RETRY = timedelta(seconds=5)
# Recent messages searched for a question posted before the bot stopped: a round's
# channel gets few messages between two steps of its round.
HISTORY_SCAN = 100
# What the bot needs in the round's channel to run it.
NEEDED_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
UNKNOWN_CHANNEL = 10003


class RoundError(DomainError):
    """A `/round` request that cannot be honoured; the message says why."""


class RoundGoneError(RoundError):
    def __init__(self) -> None:
        super().__init__("This round no longer exists. `/round start` begins a new one.")


class AnswerForm(discord.ui.Modal):
    """The typed answer's form. Its submit is routed to the cog by the client's
    interaction listener, which also works for a form opened before a restart."""

    def __init__(self, custom_id: str, front: str) -> None:
        super().__init__(title="Your answer", custom_id=custom_id, timeout=300)
        self.add_item(
            discord.ui.TextInput(
                label="Answer",
                custom_id=ANSWER_INPUT_ID,
                style=discord.TextStyle.short,
                max_length=MAX_TYPED,
                placeholder=clip(front, 100),
            )
        )


def _typed_value(data: Any) -> str | None:
    """The answer input's value in a form's submit, whatever rows wrap it."""
    if isinstance(data, dict):
        if data.get("custom_id") == ANSWER_INPUT_ID and "value" in data:
            return str(data["value"])
        for key in ("components", "component"):
            if key in data and (found := _typed_value(data[key])) is not None:
                return found
    elif isinstance(data, list):
        for item in data:
            if (found := _typed_value(item)) is not None:
                return found
    return None


def _judge_letter(letter: Letter) -> Any:
    def judge(question: Question) -> tuple[str, bool] | None:
        if not question.options:
            return None
        return letter.value, letter.position == question.correct_index

    return judge


def _judge_typed(typed: str) -> Any:
    def judge(question: Question) -> tuple[str, bool] | None:
        if question.options:
            return None
        return typed, typed_is_right(grade_typed_answer(typed, question.back, question.accept))

    return judge


class Rounds(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot
        self.live = LiveCounts(self._edit_count, name="round-count")

    async def cog_load(self) -> None:
        self.bot.add_buttons(RoundButton, self._click)
        self.bot.add_form(RoundButton.pattern, self._form)
        self.bot.timers.handle(ROUND_TIMER, self._due)
        # Questions whose time ran out while the bot was down get a fresh short time; the
        # rest keep their deadlines, which the timer loop serves once the bot is ready.
        reopened_rounds = await self.bot.db.rounds.reopen_after_restart(
            self.bot.clock(), shards=self.bot.shard_scope()
        )
        for reopened in reopened_rounds:
            await self._edit_count(reopened.id)
        self.bot.timers.start()

    async def cog_unload(self) -> None:
        self.bot.remove_buttons(RoundButton)
        self.bot.remove_form(RoundButton.pattern)
        self.bot.timers.forget(ROUND_TIMER)
        await self.live.close()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.bot.timers.start()
        self.bot.timers.wake()

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self._channel_gone(channel.id)

    @commands.Cog.listener()
    async def on_thread_delete(self, thread: discord.Thread) -> None:
        await self._channel_gone(thread.id)

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        """The bot may no longer post in a round's channel: the round ends now, not at
        its next step."""
        me = after.guild.me
        if me is None:
            return
        granted = after.permissions_for(me)
        if all(getattr(granted, name) for name, _ in NEEDED_PERMISSIONS):
            return
        running = await self.bot.db.rounds.latest(after.id)
        if running is not None and running.running:
            log.info("round %s ends: the bot lost a permission in its channel", running.id)
            await self._end(running, EndReason.NO_PERMISSION, post=False)

    async def _channel_gone(self, channel_id: int) -> None:
        running = await self.bot.db.rounds.latest(channel_id)
        if running is not None and running.running:
            await self._end(running, EndReason.CHANNEL_DELETED, post=False)

    # -- commands -----------------------------------------------------------------------

    round = app_commands.Group(name="round", description="A quiz the whole channel plays")

    @round.command(name="start", description="Start a live round in this channel")
    @app_commands.describe(
        deck="The deck the questions come from",
        topic="Only cards of this topic",
        questions=f"How many questions ({MIN_QUESTIONS}-{MAX_QUESTIONS}, default "
        f"{DEFAULT_QUESTIONS})",
        seconds=f"Seconds per question ({MIN_SECONDS}-{MAX_SECONDS}, default {DEFAULT_SECONDS})",
        mode="Pick A-D (default), or type the answer",
    )
    @app_commands.autocomplete(deck=deck_autocomplete, topic=topic_autocomplete)
    async def start(
        self,
        interaction: discord.Interaction[QuizBot],
        deck: str | None = None,
        topic: str | None = None,
        questions: app_commands.Range[int, MIN_QUESTIONS, MAX_QUESTIONS] = DEFAULT_QUESTIONS,
        seconds: app_commands.Range[int, MIN_SECONDS, MAX_SECONDS] = DEFAULT_SECONDS,
        mode: Literal["multiple-choice", "typed"] = "multiple-choice",
    ) -> None:
        guild_id = self._in_server(interaction)
        round_mode = check_round_options(mode, questions, seconds)
        catalog = await self.bot.catalogs.for_guild(guild_id)
        chosen = self._deck(catalog, deck)
        topic_name = catalog.topic_of(chosen, topic)
        await self._begin(interaction, chosen, topic_name, round_mode, questions, seconds)

    @round.command(name="stop", description="Stop this channel's round (its starter or moderators)")
    async def stop(self, interaction: discord.Interaction[QuizBot]) -> None:
        self._in_server(interaction)
        assert interaction.channel_id is not None
        running = await self.bot.db.rounds.latest(interaction.channel_id)
        if running is None or not running.running:
            raise RoundError("No round is running in this channel.")
        may = interaction.user.id == running.started_by or interaction.permissions.manage_messages
        if not may:
            raise RoundError(
                f"Only <@{running.started_by}>, who started this round, or a member with "
                "Manage Messages in this channel can stop it."
            )
        ended = await self._end(running, EndReason.STOPPED, post=False, by=interaction.user.id)
        if ended is None:
            raise RoundError("That round has just ended.")
        final, standings = ended
        await replies.reply(
            interaction,
            embed=render.final_embed(final, EndReason.STOPPED, standings),
            view=again_view(final.id),
        )

    @round.command(name="status", description="The round in this channel: question, scores")
    async def status(self, interaction: discord.Interaction[QuizBot]) -> None:
        self._in_server(interaction)
        assert interaction.channel_id is not None
        found = await self.bot.db.rounds.latest(interaction.channel_id)
        if found is None:
            await replies.reply(
                interaction,
                "No round has been played in this channel. `/round start` begins one.",
                ephemeral=True,
            )
            return
        standings = await self.bot.db.rounds.standings(found.id)
        await replies.reply(
            interaction, embed=render.status_embed(found, standings), ephemeral=True
        )

    @staticmethod
    def _in_server(interaction: discord.Interaction[QuizBot]) -> int:
        if interaction.guild_id is None or interaction.channel_id is None:
            raise RoundError(
                "Rounds are played together in a server's channel, not in DMs. `/quiz` works here."
            )
        return interaction.guild_id

    @staticmethod
    def _deck(catalog: DeckCatalog, deck_id: str | None) -> Deck:
        if deck_id is not None:
            return catalog.get(deck_id)
        chosen = catalog.default()
        if chosen is None:
            listed = ", ".join(f"`{d.id}`" for d in catalog.all()[:10]) or "none installed"
            raise RoundError(f"Choose a deck with the `deck` option. Decks: {listed}.")
        return chosen

    @staticmethod
    def _check_permissions(interaction: discord.Interaction[QuizBot]) -> None:
        granted = interaction.app_permissions
        needed = list(NEEDED_PERMISSIONS)
        if isinstance(interaction.channel, discord.Thread):
            needed[1] = ("send_messages_in_threads", "Send Messages in Threads")
        missing = [label for name, label in needed if not getattr(granted, name)]
        if missing:
            raise RoundError(
                f"I can't run a round here: I'm missing the {', '.join(missing)} "
                f"permission{'s' if len(missing) > 1 else ''} in this channel. Give "
                "them to my role here, then start the round again."
            )

    async def _begin(
        self,
        interaction: discord.Interaction[QuizBot],
        deck: Deck,
        topic: str | None,
        mode: Mode,
        count: int,
        seconds: int,
    ) -> None:
        """Start a round in the interaction's channel (`/round start`, `Play again`)."""
        guild_id = self._in_server(interaction)
        channel_id = interaction.channel_id
        assert channel_id is not None
        try:
            check_playable(deck, mode, topic=topic)
        except UnplayableError as error:
            raise error.suggesting("Try `mode:typed`.") from None
        self._check_permissions(interaction)
        running = await self.bot.db.rounds.latest(channel_id)
        if running is not None and running.running:
            await replies.reply(interaction, render.already_running(running), ephemeral=True)
            return
        pool = deck.cards if topic is None else deck.cards_in_topic(topic)
        seen = await self.bot.db.rounds.seen_cards(channel_id, deck.id)
        by_id = {card.id: card for card in pool}
        seed = str(interaction.id)
        chosen = choose_cards([c.id for c in pool], seen, count, seed=seed)
        questions = tuple(
            build_question(deck, by_id[card_id], mode=mode, seed=f"{seed}:{card_id}")
            for card_id in chosen
        )
        now = self.bot.clock()
        new = NewRound(
            id=interaction.id,
            guild_id=guild_id,
            channel_id=channel_id,
            started_by=interaction.user.id,
            deck_id=deck.id,
            topic=topic,
            mode=mode,
            seconds=seconds,
            requested=count,
            questions=questions,
        )
        started, created = await self.bot.db.rounds.start(new, member_name(interaction), now)
        if not created:
            await replies.reply(interaction, render.already_running(started), ephemeral=True)
            return
        log.info("round %s started in channel %s", started.id, channel_id)
        await replies.reply(interaction, render.started(started, interaction.user.id))
        self.bot.timers.wake()

    # -- the steps of a round (stored deadlines) -----------------------------------------

    async def _due(self, round_id: int, now: datetime) -> None:
        """A round's deadline came: ask, hint, reveal or move on, as its phase says."""
        current = await self.bot.db.rounds.get(round_id)
        if current is None or not current.running:
            await self.bot.db.rounds.drop_timer(round_id)
            return
        if current.phase is Phase.ASK:
            await self._ask(current, now)
        elif current.phase is Phase.PAUSE:
            if await self.bot.db.rounds.advance(current.id, current.position, now):
                following = await self.bot.db.rounds.get(current.id)
                if following is not None:
                    await self._ask(following, now)
        else:
            closes = current.closes_at
            assert closes is not None and current.shown_at is not None
            if closes <= now:
                await self._reveal(current, now)
            elif current.mode is Mode.TYPED and not current.hint_shown:
                when = hint_at(current.shown_at, closes)
                if when <= now:
                    await self._hint(current, closes)
                else:
                    await self.bot.db.rounds.reschedule(current.id, when)
            else:
                await self.bot.db.rounds.reschedule(current.id, closes)

    def _channel(self, round_: Round) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(round_.channel_id, guild_id=round_.guild_id)

    async def _ask(self, round_: Round, now: datetime) -> None:
        """Post the round's next question, exactly once.

        Its times are stored before the message is sent and its message id after; when
        a step finds the times but no id, an earlier attempt may have posted it before
        the bot stopped or Discord's answer was lost, so the channel's recent messages
        are searched for the bot's own with this question's buttons. Found, it is
        adopted (with a fresh short time if its own ran out); not found, it is posted.
        """
        index = round_.position
        typed = round_.mode is Mode.TYPED
        message_id: int | None = None
        adopted = False
        shown_at, closes = now, now + timedelta(seconds=round_.seconds)
        if round_.shown_at is not None and round_.closes_at is not None:
            try:
                message_id = await self._find_posted(round_, index)
            except discord.HTTPException as error:
                await self._failed(round_, error, now)
                return
            adopted = message_id is not None
            if adopted:
                log.info("round %s: adopted question %s posted before", round_.id, index + 1)
                shown_at = round_.shown_at
                closes = deadline_after_restart(round_.closes_at, now)
        if message_id is None:
            if not await self.bot.db.rounds.begin_ask(
                round_.id, index, shown_at=now, closes_at=closes, retry_at=now + RETRY
            ):
                return  # stopped meanwhile
            shown = replace(round_, phase=Phase.QUESTION, closes_at=closes, shown_at=now)
            try:
                message_id = await self.send_question(shown)
            except discord.HTTPException as error:
                await self._failed(round_, error, now)
                return
        due = hint_at(shown_at, closes) if typed else closes
        if await self.bot.db.rounds.question_posted(
            round_.id, index, message_id=message_id, now=shown_at, closes_at=closes, due_at=due
        ):
            if adopted and closes != round_.closes_at:
                await self._edit_count(round_.id)  # the adopted message's new deadline
            return
        # Stopped while the question was being posted: it never opens.
        try:
            await replies.edit(
                self._channel(round_).get_partial_message(message_id),
                embed=render.stopped_question_embed(round_, index),
                view=answer_view(round_.id, index, typed=typed, closed=True),
            )
        except discord.HTTPException as error:
            log.warning("could not close round %s's last question: %s", round_.id, error)

    async def send_question(self, shown: Round) -> int:
        """Post the open question ``shown`` (its times set): the message's id."""
        message = await replies.post(
            self._channel(shown),
            embed=render.question_embed(shown, answered=0, hint_shown=False),
            view=answer_view(shown.id, shown.position, typed=shown.mode is Mode.TYPED),
        )
        return message.id

    async def _find_posted(self, round_: Round, index: int) -> int | None:
        """The id of the bot's message for question ``index`` among the channel's recent
        ones, if an earlier attempt posted it. A channel whose history the bot may not
        read is taken as having none."""
        me = self.bot.user
        if me is None:
            return None
        prefix = question_prefix(round_.id, index)
        try:
            async for message in self._channel(round_).history(limit=HISTORY_SCAN):
                if message.author.id != me.id:
                    continue
                for row in message.components:
                    for child in getattr(row, "children", ()):
                        if str(getattr(child, "custom_id", None) or "").startswith(prefix):
                            return message.id
        except discord.Forbidden as error:
            log.warning("round %s: cannot read the channel's history: %s", round_.id, error)
        return None

    async def _hint(self, round_: Round, closes: datetime) -> None:
        async with self.live.lock(round_.id):
            if not await self.bot.db.rounds.hint_given(round_.id, round_.position, closes):
                return
        await self._edit_count(round_.id)

    async def _reveal(self, round_: Round, now: datetime) -> None:
        async with self.live.lock(round_.id):
            self.live.forget(round_.id)
            reveal = await self.bot.db.rounds.reveal_question(round_.id, round_.position, now)
            if reveal is None:
                return
            question = round_.current
            assert round_.message_id is not None
            try:
                await replies.edit(
                    self._channel(round_).get_partial_message(round_.message_id),
                    embed=render.revealed_embed(round_, round_.position, reveal.results),
                    view=answer_view(
                        round_.id,
                        round_.position,
                        typed=round_.mode is Mode.TYPED,
                        correct_index=question.correct_index if question.options else None,
                        closed=True,
                    ),
                )
            except discord.HTTPException as error:
                if reveal.ended is None:
                    await self._failed(round_, error, now)
                    return
                log.warning("could not show the reveal of round %s: %s", round_.id, error)
        if reveal.ended is not None:
            await self._post_final(round_, reveal.ended, reveal.standings)

    async def _failed(self, round_: Round, error: discord.HTTPException, now: datetime) -> None:
        """A step could not talk to Discord: a channel or message gone, or a permission
        lost, ends the round (its answers stay); anything else is tried again soon."""
        if isinstance(error, discord.Forbidden):
            reason = EndReason.NO_PERMISSION
        elif isinstance(error, discord.NotFound):
            gone = error.code == UNKNOWN_CHANNEL
            reason = EndReason.CHANNEL_DELETED if gone else EndReason.MESSAGE_DELETED
        else:
            log.warning("round %s: Discord failed a step, retrying: %s", round_.id, error)
            await self.bot.db.rounds.reschedule(round_.id, now + RETRY)
            return
        log.info("round %s ends: %s (%s)", round_.id, reason.value, error)
        await self._end(round_, reason, post=reason is EndReason.MESSAGE_DELETED)

    async def _end(
        self, round_: Round, reason: EndReason, *, post: bool, by: int | None = None
    ) -> tuple[Round, list[Standing]] | None:
        """End a running round now; its open question shows it stopped, and ``post``
        posts the scoreboard in its channel."""
        ended = await self.bot.db.rounds.end(round_.id, reason, self.bot.clock(), by=by)
        self.live.forget(round_.id)
        if ended is None:
            return None
        final, standings = ended
        # As the round was when it ended (a reveal just before would have moved it on).
        if (
            reason is EndReason.STOPPED
            and final.phase is Phase.QUESTION
            and final.message_id is not None
        ):
            try:
                async with self.live.lock(final.id):
                    await replies.edit(
                        self._channel(final).get_partial_message(final.message_id),
                        embed=render.stopped_question_embed(final, final.position),
                        view=answer_view(
                            final.id, final.position, typed=final.mode is Mode.TYPED, closed=True
                        ),
                    )
            except discord.HTTPException as error:
                log.warning("could not mark round %s's question stopped: %s", final.id, error)
        if post:
            await self._post_final(final, reason, standings)
        return ended

    async def _post_final(
        self, round_: Round, reason: EndReason, standings: list[Standing]
    ) -> None:
        try:
            await replies.post(
                self._channel(round_),
                embed=render.final_embed(round_, reason, standings),
                view=again_view(round_.id),
            )
        except discord.HTTPException as error:
            log.warning("could not post the scoreboard of round %s: %s", round_.id, error)

    async def _edit_count(self, round_id: int) -> bool:
        """Show the open question's answer count (and hint): whether it edited."""
        async with self.live.lock(round_id):
            found = await self.bot.db.rounds.with_count(round_id)
            if found is None:
                return False
            current, count = found
            if (
                not current.running
                or current.phase is not Phase.QUESTION
                or current.message_id is None
            ):
                return False
            try:
                await replies.edit(
                    self._channel(current).get_partial_message(current.message_id),
                    embed=render.question_embed(current, answered=count),
                )
            except discord.HTTPException as error:
                if isinstance(error, discord.NotFound | discord.Forbidden):
                    await self._failed(current, error, self.bot.clock())
                else:
                    log.warning("could not update the count of round %s: %s", round_id, error)
                return False
            return True

    # -- clicks and forms -----------------------------------------------------------------

    async def _click(self, interaction: discord.Interaction[QuizBot], click: RoundClick) -> None:
        if click.action == "again":
            await self._again(interaction, click.round_id)
        elif click.action == "type":
            await self._open_form(interaction, click.round_id, click.question)
        elif click.action in LETTERS:
            letter = Letter.at(LETTERS.index(click.action))
            await self._record(interaction, click.round_id, click.question, _judge_letter(letter))
        else:  # a form's custom_id on a button
            await replies.reply(interaction, render.NOT_THIS_WAY, ephemeral=True)

    async def _form(self, interaction: discord.Interaction[QuizBot], match: Any) -> None:
        click = RoundButton.parse(match)
        if click.action != "modal":
            await replies.reply(interaction, UNKNOWN_FORM, ephemeral=True)
            return
        typed = " ".join(
            (_typed_value(dict(interaction.data or {}).get("components")) or "").split()
        )
        if not typed:
            await replies.reply(
                interaction, "Type an answer first; nothing was stored.", ephemeral=True
            )
            return
        await answer_errors_of(
            interaction,
            "round answer form",
            self._record(
                interaction, click.round_id, click.question, _judge_typed(typed[:MAX_TYPED])
            ),
        )

    async def _open_form(
        self, interaction: discord.Interaction[QuizBot], round_id: int, index: int
    ) -> None:
        current = await self.bot.db.rounds.get(round_id)
        if current is None:
            raise RoundGoneError()
        refusal = self._refusal(interaction, current, index)
        if refusal is None and current.mode is not Mode.TYPED:
            refusal = render.NOT_THIS_WAY
        if refusal is None:
            earlier = await self.bot.db.rounds.answered_choice(round_id, index, interaction.user.id)
            if earlier is not None:
                refusal = render.already(render.shown_choice(earlier))
        if refusal is not None:
            await replies.reply(interaction, refusal, ephemeral=True)
            return
        await interaction.response.send_modal(
            AnswerForm(form_id(round_id, index), current.questions[index].front)
        )

    @staticmethod
    def _refusal(
        interaction: discord.Interaction[QuizBot], current: Round, index: int
    ) -> str | None:
        if interaction.channel_id != current.channel_id:
            return render.elsewhere(current)
        if not current.running:
            return render.ROUND_OVER
        if not current.is_open(index):
            return render.CLOSED
        return None

    async def _record(
        self, interaction: discord.Interaction[QuizBot], round_id: int, index: int, judge: Any
    ) -> None:
        result = await replies.in_time(
            interaction,
            self.bot.db.rounds.answer(
                round_id,
                index,
                member=member_name(interaction),
                channel_id=interaction.channel_id,
                judge=judge,
                now=self.bot.clock(),
            ),
        )
        if result is None:
            raise RoundGoneError()
        outcome = result.outcome
        if outcome is RoundAnswerOutcome.RECORDED:
            assert result.choice is not None
            shown = (
                result.choice
                if result.round.mode is Mode.MULTIPLE_CHOICE
                else (render.shown_choice(result.choice))
            )
            await replies.reply(interaction, render.locked_in(shown), ephemeral=True)
            self.live.touch(round_id)
            if result.reveal_now:
                self.bot.timers.wake()
            return
        if outcome is RoundAnswerOutcome.DUPLICATE:
            assert result.choice is not None
            shown = (
                result.choice
                if result.round.mode is Mode.MULTIPLE_CHOICE
                else (render.shown_choice(result.choice))
            )
            text = render.already(shown)
        elif outcome is RoundAnswerOutcome.ELSEWHERE:
            text = render.elsewhere(result.round)
        elif outcome is RoundAnswerOutcome.WRONG_KIND:
            text = render.NOT_THIS_WAY
        else:
            text = render.CLOSED if result.round.running else render.ROUND_OVER
        await replies.reply(interaction, text, ephemeral=True)

    async def _again(self, interaction: discord.Interaction[QuizBot], round_id: int) -> None:
        old = await self.bot.db.rounds.get(round_id)
        if old is None:
            raise RoundGoneError()
        if interaction.channel_id != old.channel_id:
            await replies.reply(interaction, render.elsewhere(old), ephemeral=True)
            return
        catalog = await self.bot.catalogs.for_guild(old.guild_id)
        deck = catalog.get(old.deck_id)
        await self._begin(interaction, deck, old.topic, old.mode, old.requested, old.seconds)
