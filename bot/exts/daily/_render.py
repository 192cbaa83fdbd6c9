"""Embeds, buttons and texts of daily challenges. Rendering only: no database, no decisions."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import discord

from bot.domain.answers import Letter
from bot.domain.daily import ChallengeState, DailyQuestion
from bot.domain.markdown import literal
from bot.domain.streaks import StreakState
from bot.domain.words import plural
from bot.exts.daily._buttons import answer_buttons
from bot.exts.embeds import DESCRIPTION_LIMIT, FIELD_LIMIT, clip, write_question
from bot.storage.daily import DailyChallenge, DailyResults, DailySchedule
from bot.storage.models import Answer

OPEN_COLOUR = discord.Colour.blurple()
REVEALED_COLOUR = discord.Colour.green()
RIGHT_COLOUR = discord.Colour.green()
WRONG_COLOUR = discord.Colour.red()
PROBLEM_COLOUR = discord.Colour.orange()

TITLE_LIMIT = 256
FOOTER_LIMIT = 2048
EMBED_LIMIT = 6000
MEDALS = ("🥇", "🥈", "🥉")


def format_day(day: date) -> str:
    """A local date as people write it, independent of the process locale."""
    weekdays = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    months = (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    )  # fmt: skip
    return f"{weekdays[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


def format_time(at: time) -> str:
    return at.strftime("%H:%M")


def discord_time(instant: datetime) -> str:
    """A timestamp every reader sees in their own time zone, plus how far away it is."""
    seconds = int(instant.timestamp())
    return f"<t:{seconds}:F> (<t:{seconds}:R>)"


def local_when(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{format_day(local.date())}, {local:%H:%M} ({zone.key})"


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


# -- the challenge message ----------------------------------------------------------------


def _title(day: date) -> str:
    return clip(f"Daily challenge · {format_day(day)}", TITLE_LIMIT)


def _footer(challenge: DailyChallenge) -> str:
    return clip(challenge.deck_id + (f" · {challenge.topic}" if challenge.topic else ""), 2048)


def _options(embed: discord.Embed, question: DailyQuestion, *, reveal: bool) -> None:
    marks = {question.correct_index: "✅ "} if reveal else {}
    write_question(embed, question.prompt, question.options, marks)


def challenge_embed(challenge: DailyChallenge, *, answered: int) -> discord.Embed:
    """The open challenge: question, options and the live count of answers."""
    embed = discord.Embed(title=_title(challenge.local_date), colour=OPEN_COLOUR)
    _options(embed, challenge.question, reveal=False)
    embed.add_field(
        name="Answers",
        value=f"{plural(answered, 'member')} answered so far. Pick a letter below!",
        inline=False,
    )
    embed.set_footer(text=_footer(challenge))
    return embed


def revealed_embed(challenge: DailyChallenge, results: DailyResults) -> discord.Embed:
    """The closed challenge: the right answer, the numbers and the first right answers."""
    question = challenge.question
    embed = discord.Embed(title=_title(challenge.local_date), colour=REVEALED_COLOUR)
    _options(embed, question, reveal=True)
    embed.add_field(name="Answer", value=f"**{question.correct_letter}**", inline=True)
    if results.answered:
        summary = f"{plural(results.answered, 'member')} answered · {results.share_right:.0%} right"
    else:
        summary = "Nobody answered."
    embed.add_field(name="Results", value=summary, inline=True)
    if results.first_right:
        firsts = "\n".join(
            f"{medal} <@{user_id}>"
            for medal, user_id in zip(MEDALS, results.first_right, strict=False)
        )
    else:
        firsts = "Nobody got it right."
    embed.add_field(name="First right", value=firsts, inline=False)
    embed.set_footer(text=_footer(challenge))
    if question.explanation:
        # Prompt and options can take most of the 6,000 characters an embed may hold.
        room = min(FIELD_LIMIT, EMBED_LIMIT - len(embed) - len("Why"))
        if room > 20:
            why = clip(literal(question.explanation), room)
            embed.add_field(name="Why", value=why, inline=False)
    return embed


def answer_view(challenge: DailyChallenge, *, revealed: bool = False) -> discord.ui.View:
    """Buttons A-D. After the reveal the right one turns green; clicks then say it is closed.

    This view only draws the buttons: it is stopped, so discord.py keeps no copy of it.
    Clicks go to the daily cog through the buttons' family (see `_buttons`).
    """
    view = discord.ui.View(timeout=None)
    correct = challenge.question.correct_index if revealed else None
    for button in answer_buttons(challenge.id, correct_index=correct):
        view.add_item(button)
    view.stop()
    return view


def post_content(challenge: DailyChallenge) -> tuple[str | None, discord.AllowedMentions]:
    """The role mention, allowed to ping that role and nobody else."""
    if challenge.role_id is None:
        return None, discord.AllowedMentions.none()
    mentions = discord.AllowedMentions(
        everyone=False,
        users=False,
        roles=[discord.Object(id=challenge.role_id)],
        replied_user=False,
    )
    return f"<@&{challenge.role_id}> today's challenge is up!", mentions


# -- replies to members -------------------------------------------------------------------


def streak_line(streak: StreakState) -> str:
    return f"{plural(streak.current, 'challenge')} in a row (best {streak.best})"


def answer_reply(
    challenge: DailyChallenge, *, chosen: int, correct: bool, points: int, streak: StreakState
) -> discord.Embed:
    question = challenge.question
    if correct:
        embed = discord.Embed(title=f"Right! +{plural(points, 'point')}", colour=RIGHT_COLOUR)
    else:
        embed = discord.Embed(
            title=f"Not quite: you picked {Letter.at(chosen)}", colour=WRONG_COLOUR
        )
    embed.description = clip(
        f"The answer is **{question.correct_letter}.** {literal(question.correct_option)}",
        DESCRIPTION_LIMIT,
    )
    if question.explanation:
        why = clip(literal(question.explanation), FIELD_LIMIT)
        embed.add_field(name="Why", value=why, inline=False)
    embed.add_field(name="Daily streak", value=streak_line(streak), inline=False)
    embed.set_footer(text="Everyone else sees only the count until the reveal.")
    return embed


def already_answered(challenge: DailyChallenge, earlier: Answer | None) -> str:
    """A second click: what the first one scored, shown again to the member alone (its
    reply may never have arrived)."""
    when = ""
    if challenge.reveal_at is not None:
        when = f" Everyone sees the answer <t:{int(challenge.reveal_at.timestamp())}:R>."
    if earlier is None:  # deleted meanwhile (/forgetme)
        return f"You already answered this challenge.{when}"
    question = challenge.question
    result = f"right, +{plural(earlier.points, 'point')}" if earlier.correct else "not quite"
    answer = clip(literal(question.correct_option), 1500)
    return (
        f"You already answered this challenge ({result}); it counted once. "
        f"The answer is **{question.correct_letter}.** {answer}{when}"
    )


def closed(challenge: DailyChallenge) -> str:
    if challenge.state is ChallengeState.INTENT:
        return "This challenge is just being posted; try again in a moment."
    question = challenge.question
    if challenge.state is ChallengeState.REVEALED:
        answer = clip(literal(question.correct_option), 1500)
        return f"This challenge is closed. The answer was **{question.correct_letter}.** {answer}"
    return "This challenge is closed."


# -- admin replies ------------------------------------------------------------------------


def setup_reply(schedule: DailySchedule, zone: ZoneInfo, next_post: datetime) -> str:
    extras = [f"deck `{schedule.deck_id}`"]
    if schedule.topic:
        extras.append(f"topic {literal(schedule.topic)}")
    if schedule.role_id is not None:
        extras.append(f"mentioning <@&{schedule.role_id}>")
    if schedule.reveal_after is not None:
        extras.append(f"revealed {schedule.reveal_after} h after each post")
    else:
        extras.append("revealed just before the next post")
    return (
        f"Daily challenge set: <#{schedule.channel_id}> every day at "
        f"{format_time(schedule.post_time)} {zone.key} ({', '.join(extras)}).\n"
        f"Next post: **{local_when(next_post, zone)}**, {discord_time(next_post)}."
    )


def _last_post_line(challenge: DailyChallenge, results: DailyResults | None) -> str:
    day = format_day(challenge.local_date)
    if challenge.message_id is None:
        state = {
            ChallengeState.INTENT: "being posted",
            ChallengeState.UNSENT: "not posted: the post failed",
            ChallengeState.MISSED: "missed: not posted that day",
        }.get(challenge.state, challenge.state.value)
        return f"{day}: {state}"
    link = jump_url(challenge.guild_id, challenge.channel_id, challenge.message_id)
    line = f"[{day}]({link})"
    if results is None:
        return line
    if challenge.state is ChallengeState.POSTED:
        return f"{line}: open, {plural(results.answered, 'member')} answered so far"
    if not results.answered:
        return f"{line}: revealed, nobody answered"
    return (
        f"{line}: revealed, {plural(results.answered, 'member')} answered, "
        f"{results.share_right:.0%} right"
    )


def status_embed(
    schedule: DailySchedule | None,
    zone: ZoneInfo | None,
    last: DailyChallenge | None,
    results: DailyResults | None,
) -> discord.Embed:
    if schedule is None or zone is None:
        return discord.Embed(
            title="Daily challenge",
            description="No daily challenge is set up here. An admin can start one with "
            "`/daily setup`.",
            colour=OPEN_COLOUR,
        )
    problem = schedule.paused or (schedule.failures > 0 and schedule.enabled)
    embed = discord.Embed(
        title="Daily challenge", colour=PROBLEM_COLOUR if problem else OPEN_COLOUR
    )
    if not schedule.enabled:
        embed.description = "Disabled. An admin can turn it back on with `/daily setup`."
    elif schedule.paused:
        embed.description = (
            f"**Paused** after {plural(schedule.failures, 'failed post')} in a row. "
            "Fix the problem below, then run `/daily setup` again to resume."
        )
    embed.add_field(name="Channel", value=f"<#{schedule.channel_id}>")
    embed.add_field(name="Time", value=f"{format_time(schedule.post_time)} {zone.key}")
    deck = f"`{schedule.deck_id}`" + (f" · {literal(schedule.topic)}" if schedule.topic else "")
    embed.add_field(name="Deck", value=clip(deck, FIELD_LIMIT))
    if schedule.role_id is not None:
        embed.add_field(name="Mentions", value=f"<@&{schedule.role_id}>")
    reveal = (
        f"{schedule.reveal_after} h after the post"
        if schedule.reveal_after is not None
        else "just before the next post"
    )
    embed.add_field(name="Reveal", value=reveal)
    if schedule.enabled and not schedule.paused and schedule.next_post_at is not None:
        next_post = (
            f"{local_when(schedule.next_post_at, zone)}\n{discord_time(schedule.next_post_at)}"
        )
        embed.add_field(name="Next post", value=next_post, inline=False)
    last_line = "none yet" if last is None else _last_post_line(last, results)
    embed.add_field(name="Last post", value=clip(last_line, FIELD_LIMIT), inline=False)
    if schedule.last_error:
        when = ""
        if schedule.last_error_at is not None:
            when = f" (<t:{int(schedule.last_error_at.timestamp())}:R>)"
        failure = (
            f"{clip(schedule.last_error, 700)}{when}\n"
            f"{plural(schedule.failures, 'failed post')} in a row"
        )
        if not schedule.paused:
            failure += "; I will try again."
        embed.add_field(name="Problem", value=clip(failure, FIELD_LIMIT), inline=False)
    return embed
