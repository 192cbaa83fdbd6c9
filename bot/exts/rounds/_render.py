"""What a live round's messages say: the question, the reveal, the scoreboard, replies."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.markdown import code, literal
from bot.domain.rounds import EndReason, Standing, hint
from bot.domain.words import plural
from bot.exts.embeds import FIELD_LIMIT, clip, write_question
from bot.storage.rounds import QuestionResults, Round

QUESTION_COLOUR = discord.Colour.blurple()
REVEAL_COLOUR = discord.Colour.green()
END_COLOUR = discord.Colour.gold()
MEDALS = ("🥇", "🥈", "🥉")
SHOWN_ON_BOARD = 20  # members on the final scoreboard

END_TEXT = {
    EndReason.LAST_QUESTION: "That was the last question.",
    EndReason.UNANSWERED: "Nobody answered two questions in a row, so the round ended.",
    EndReason.STOPPED: "The round was stopped.",
    EndReason.MESSAGE_DELETED: "The round ended: its question message was deleted.",
    EndReason.CHANNEL_DELETED: "The round ended: its channel was deleted.",
    EndReason.NO_PERMISSION: "The round ended: I lost my permission to post in its channel.",
}


def _ts(round_: Round, which: str = "R") -> str:
    assert round_.closes_at is not None
    return f"<t:{int(round_.closes_at.timestamp())}:{which}>"


def _title(round_: Round, index: int) -> str:
    return f"Round · question {index + 1} of {round_.total}"


def _footer(round_: Round) -> str:
    topic = f" · {round_.topic}" if round_.topic else ""
    return clip(f"{round_.deck_id}{topic} · 1 point a right answer, +1 for the fastest", 2048)


def _question_text(embed: discord.Embed, round_: Round, index: int, marks: bool) -> None:
    question = round_.questions[index]
    if question.options:
        write_question(
            embed,
            question.front,
            question.options,
            {question.correct_index: "✅ "} if marks else None,
        )
    else:
        embed.description = clip(f"**{literal(question.front)}**", 4096)


def question_embed(
    round_: Round, *, answered: int, hint_shown: bool | None = None
) -> discord.Embed:
    """The open question: options, deadline, the answer count, and the hint once due."""
    index = round_.position
    embed = discord.Embed(title=_title(round_, index), colour=QUESTION_COLOUR)
    _question_text(embed, round_, index, marks=False)
    how = (
        "Type your answer with **Answer**."
        if round_.questions[index].options == ()
        else ("Pick a letter below.")
    )
    embed.add_field(name="Time", value=f"Closes {_ts(round_)}. {how}", inline=False)
    embed.add_field(name="Answers", value=f"{plural(answered, 'member')} answered so far.")
    if hint_shown if hint_shown is not None else round_.hint_shown:
        shown = hint(round_.questions[index].back)
        embed.add_field(name="Hint", value=clip(code(shown), FIELD_LIMIT), inline=False)
    embed.set_footer(text=_footer(round_))
    return embed


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def revealed_embed(round_: Round, index: int, results: QuestionResults) -> discord.Embed:
    """The closed question: the right answer and why, how many answered, the first right."""
    question = round_.questions[index]
    embed = discord.Embed(title=_title(round_, index), colour=REVEAL_COLOUR)
    _question_text(embed, round_, index, marks=True)
    answer = question.back
    if question.correct_letter is not None:
        answer = f"{question.correct_letter}. {question.back}"
    embed.add_field(name="Answer", value=clip(f"**{literal(answer)}**", FIELD_LIMIT), inline=False)
    if results.answered:
        summary = f"{plural(results.answered, 'member')} answered · {results.share_right:.0%} right"
    else:
        summary = "Nobody answered."
    embed.add_field(name="Results", value=summary, inline=True)
    if results.first_right:
        firsts = "\n".join(
            f"{medal} <@{user_id}> · {_seconds(ms)}"
            for medal, (user_id, ms) in zip(MEDALS, results.first_right, strict=False)
        )
    else:
        firsts = "Nobody got it right."
    embed.add_field(name="First right", value=firsts, inline=True)
    if question.explanation:
        room = min(FIELD_LIMIT, 6000 - len(embed) - 3 - 100)
        if room > 20:
            embed.add_field(
                name="Why", value=clip(literal(question.explanation), room), inline=False
            )
    embed.set_footer(text=_footer(round_))
    return embed


def stopped_question_embed(round_: Round, index: int) -> discord.Embed:
    question = round_.questions[index]
    embed = discord.Embed(title=_title(round_, index), colour=END_COLOUR)
    _question_text(embed, round_, index, marks=False)
    embed.add_field(name="Answer", value=clip(f"**{literal(question.back)}**", FIELD_LIMIT))
    embed.add_field(name="Round", value="Stopped before this question was revealed.")
    embed.set_footer(text=_footer(round_))
    return embed


def board_lines(standings: Sequence[Standing], limit: int = SHOWN_ON_BOARD) -> str:
    if not standings:
        return "Nobody answered."
    lines = [
        f"**{s.rank}.** <@{s.user_id}> · {plural(s.points, 'point')} · {s.right} right"
        + (f" · avg {_seconds(s.average_ms)}" if s.right else "")
        for s in standings[:limit]
    ]
    if len(standings) > limit:
        lines.append(f"… and {plural(len(standings) - limit, 'more member')}")
    return "\n".join(lines)


def final_embed(round_: Round, reason: EndReason, standings: Sequence[Standing]) -> discord.Embed:
    """The scoreboard: rank, points, right answers, average time, and the winner."""
    embed = discord.Embed(title="Round over", colour=END_COLOUR, description=END_TEXT[reason])
    embed.add_field(name="Scoreboard", value=board_lines(standings), inline=False)
    top = [s for s in standings if s.rank == 1 and s.points > 0]
    if len(top) == 1:
        winner = f"🏆 <@{top[0].user_id}> with {plural(top[0].points, 'point')}!"
    elif top:
        winner = "A tie: " + ", ".join(f"<@{s.user_id}>" for s in top) + "."
    else:
        winner = "Nobody scored."
    embed.add_field(name="Winner", value=winner, inline=False)
    embed.set_footer(text=_footer(round_))
    return embed


def started(round_: Round, user_id: int) -> str:
    topic = f" (topic {literal(round_.topic)})" if round_.topic else ""
    return (
        f"**Round!** <@{user_id}> started {plural(round_.total, 'question')} from "
        f"`{round_.deck_id}`{topic}, {round_.seconds} s each, "
        f"{'typed answers' if round_.mode == 'typed' else 'multiple choice'}. "
        "1 point per right answer, +1 for the fastest. First question coming up!"
    )


def jump(round_: Round, message_id: int | None) -> str:
    if message_id is None:
        return f"<#{round_.channel_id}>"
    return f"https://discord.com/channels/{round_.guild_id}/{round_.channel_id}/{message_id}"


def already_running(round_: Round) -> str:
    return (
        f"A round is already running here (started by <@{round_.started_by}>, question "
        f"{round_.position + 1} of {round_.total}): {jump(round_, round_.message_id)}. "
        "One round per channel; `/round stop` ends it."
    )


def status_embed(round_: Round, standings: Sequence[Standing]) -> discord.Embed:
    if round_.running:
        embed = discord.Embed(title="Round running", colour=QUESTION_COLOUR)
        embed.description = (
            f"Question {round_.position + 1} of {round_.total} · started by "
            f"<@{round_.started_by}> · {round_.seconds} s per question"
        )
    else:
        embed = discord.Embed(title="No round running here", colour=END_COLOUR)
        reason = END_TEXT[round_.end_reason] if round_.end_reason else "The last round ended."
        by = f" (by <@{round_.ended_by}>)" if round_.ended_by else ""
        embed.description = (
            f"The last round, started by <@{round_.started_by}>: {reason}{by} "
            "`/round start` begins a new one."
        )
    embed.add_field(name="Scores", value=board_lines(standings, 10), inline=False)
    return embed


def locked_in(choice: str) -> str:
    return f"locked in: {choice}"


def already(choice: str) -> str:
    return f"You already answered this question: {choice}. Each question counts once."


CLOSED = "This question is closed; watch for the next one."
ROUND_OVER = "This round is over. `/round start` begins a new one."
NOT_THIS_WAY = "That is not how this question is answered; use its own buttons."


def elsewhere(round_: Round) -> str:
    return f"That round is played in <#{round_.channel_id}>, not here; nothing was stored."


def shown_choice(choice: str) -> str:
    return code(clip(choice, 200))
