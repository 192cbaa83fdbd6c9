"""The /readiness message. Rendering only: no database, no decisions."""

from __future__ import annotations

from datetime import date

import discord

from bot.domain.decks import Deck
from bot.domain.markdown import literal
from bot.domain.readiness import Readiness, StudyPlan, TopicReadiness
from bot.domain.words import plural
from bot.exts.embeds import FIELD_LIMIT, clip
from bot.exts.readiness._buttons import StudyButton

COLOUR = discord.Colour.teal()
TOPIC_LINES = 20
BUTTON_LABEL = 80


def share(value: float) -> str:
    return f"{value * 100:.0f}%"


def _topic_line(topic: TopicReadiness, total_weight: float) -> str:
    weight = share(topic.weight / total_weight) if total_weight else "0%"
    return (
        f"**{share(topic.recall)}** · {clip(literal(topic.topic), 100)} · "
        f"seen {topic.seen}/{topic.cards} ({share(topic.seen_share)}) · weight {weight}"
    )


def _plan_text(plan: StudyPlan, retention: float) -> str:
    if plan.days_left == 0:
        return f"The exam is today ({plan.exam.isoformat()}). Good luck!"
    lines = [f"**{plural(plan.days_left, 'day')}** left until {plan.exam:%A %d %B %Y}."]
    lines.append(
        f"About **{plan.reviews_per_day:.1f} reviews a day** keep every card at "
        f"{share(retention)} retention on that day ({plural(plan.reviews, 'review')} in all)."
    )
    if plan.unseen:
        lines.append(
            f"**{plural(plan.new_per_day, 'new card')} a day** to see the "
            f"{plural(plan.unseen, 'card')} you have not studied yet by then."
        )
    else:
        lines.append("You have seen every card of the deck.")
    return "\n".join(lines)


def readiness_embed(
    deck: Deck,
    found: Readiness,
    *,
    plan: StudyPlan | None,
    retention: float,
    today: date,
) -> discord.Embed:
    embed = discord.Embed(title=clip(f"Exam readiness: {literal(deck.title)}", 256), colour=COLOUR)
    basis = "the deck's topic weights" if found.weighted_by_deck else "each topic's card count"
    embed.description = (
        f"If the exam were today: **{share(found.overall)}** predicted recall, "
        f"weighted by {basis}. Cards you have never studied count as not known."
    )
    total_weight = sum(t.weight for t in found.topics)
    lines = [_topic_line(t, total_weight) for t in found.topics[:TOPIC_LINES]]
    if len(found.topics) > TOPIC_LINES:
        lines.append(f"…and {len(found.topics) - TOPIC_LINES} more")
    embed.add_field(
        name="Predicted recall now, by topic",
        value=clip("\n".join(lines) or "This deck has no cards.", FIELD_LIMIT),
        inline=False,
    )
    weakest = found.weakest()
    if weakest:
        embed.add_field(
            name="Study next",
            value=clip(
                "\n".join(
                    f"{i}. {clip(literal(t.topic), 100)} ({share(t.recall)})"
                    for i, t in enumerate(weakest, start=1)
                ),
                FIELD_LIMIT,
            ),
            inline=False,
        )
    if plan is not None:
        embed.add_field(name="Exam plan", value=_plan_text(plan, retention), inline=False)
    else:
        embed.add_field(
            name="Exam plan",
            value=(
                "Set your exam date with `/settings exam-date` to see the days left and "
                "the reviews and new cards a day to be ready."
            ),
            inline=False,
        )
    embed.set_footer(text=f"Predicted by your review history (FSRS) · {today.isoformat()}")
    return embed


def study_buttons(deck: Deck, found: Readiness, owner: int) -> discord.ui.View | None:
    """`Study this` for each of the weakest topics the deck names (cards without a topic
    cannot be picked by topic)."""
    view = discord.ui.View(timeout=None)
    for topic in found.weakest():
        if topic.topic not in deck.topics:
            continue
        index = deck.topics.index(topic.topic)
        label = clip(f"Study this: {topic.topic}", BUTTON_LABEL)
        view.add_item(
            StudyButton.make(deck.id, index, owner, label=label, style=discord.ButtonStyle.primary)
        )
    return view if view.children else None


def no_deck(deck_ids: list[str]) -> str:
    listed = ", ".join(f"`{d}`" for d in deck_ids[:10]) or "none installed"
    return f"Choose a deck with the `deck` option. Decks: {listed}."


def exam_date_set(deck: Deck, day: date, days_left: int) -> str:
    when = "today" if days_left == 0 else f"in {plural(days_left, 'day')}"
    return (
        f"Your exam for **{clip(literal(deck.title), 200)}** is on {day:%A %d %B %Y}, {when}. "
        f"`/readiness deck:{deck.id}` shows how ready you are and the plan to get there."
    )
