"""Turning domain objects into Telegram HTML and keyboards, in the reader's language."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.assessment import Distribution, Overall, Round
from bot.domain.catalog import Catalog, NumberResult, SearchRequest, SearchResult
from bot.domain.i18n import Localizer
from bot.domain.membership import WorkingGroup
from bot.domain.model import RecNumber, Recommendation, Response, TranslationStatus
from bot.domain.round_notices import closing_phrase
from bot.domain.states import State
from bot.domain.text import truncate
from handlers.callbacks import (
    CallbackData,
    EditThemes,
    Lang,
    ListPage,
    OpenCard,
    ServingActions,
)

MESSAGE_LIMIT = 4096
PAGE_SIZE = 5
T = TypeVar("T")
SNIPPET = 160


def escape(text: str) -> str:
    """Escape text for Telegram HTML (quotes need no escaping outside attributes)."""
    return html.escape(text, quote=False)


RESPONSE_ICONS = {
    Response.ACCEPTED: "✅",
    Response.NOTED: "📝",
    Response.REJECTED: "❌",
    Response.PENDING: "⏳",
}


def response_label(l10n: Localizer, response: Response) -> str:
    """The response in words, with its icon."""
    labels = {
        Response.ACCEPTED: l10n.gettext("Accepted"),
        Response.NOTED: l10n.gettext("Noted"),
        # TRANSLATORS: Cambodia said "rejected" once (cycle 2); the UN counts it as noted.
        Response.REJECTED: l10n.gettext("Rejected (counted as noted)"),
        Response.PENDING: l10n.gettext("Pending"),
    }
    return f"{RESPONSE_ICONS[response]} {labels[response]}"


GROUPS_NAMED = 20  # working groups an answer names before "and N more" (a message's limit)


def group_names(l10n: Localizer, groups: Sequence[WorkingGroup], limit: int | None = None) -> str:
    """'land (Land and natural resources), …': each working group's short name and name; with
    a limit, the first ones and how many more (/help names them all)."""
    return names_cut(l10n, [f"{g.slug} ({g.name(l10n.language)})" for g in groups], limit)


def names_cut(l10n: Localizer, names: Sequence[str], limit: int | None) -> str:
    """'a, b, c', or with more than `limit` names the first ones and 'and N more'."""
    if limit is None or len(names) <= limit:
        return ", ".join(names) or "—"
    more = len(names) - limit
    return l10n.ngettext(
        "{names} and {count} more working group (all in /help)",
        "{names} and {count} more working groups (all in /help)",
        more,
    ).format(names=", ".join(names[:limit]), count=l10n.number(more))


def cycle_name(l10n: Localizer, cycle: int) -> str:
    """'Cycle 2': how every reader sees a cycle's number."""
    return l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(cycle))


def closing(l10n: Localizer, tz: dt.tzinfo, closes_at: dt.datetime | None) -> str:
    """'closes March 31, 2027 (Phnom Penh)', or 'no closing date'."""
    return closing_phrase(l10n, tz, closes_at)


def cycle_label(l10n: Localizer, catalog: Catalog, cycle: int) -> str:
    """'Cycle 2 (reviewed 28 January 2014)' in the reader's language."""
    review = next((c.review_date for c in catalog.cycles if c.number == cycle), None)
    if review is None:
        return cycle_name(l10n, cycle)
    return l10n.gettext("Cycle {cycle} (reviewed {date})").format(
        cycle=l10n.number(cycle), date=l10n.date(review)
    )


def card(
    l10n: Localizer,
    catalog: Catalog,
    rec: Recommendation,
    language: str | None = None,
    assessment: str | None = None,
    actions: int | None = None,
) -> str:
    """The full card of one recommendation; `language` forces the text's language; `actions`
    how many actions of the strategies serve it (for those who may see them)."""
    show_khmer = (language or l10n.language) == "km" and rec.khmer is not None
    lines = [
        f"<b>{escape(str(rec.number))}</b> · {escape(cycle_label(l10n, catalog, rec.cycle))}",
        "",
    ]
    if show_khmer and rec.khmer is not None:
        if rec.khmer.status is TranslationStatus.DRAFT:  # never a draft alone: English first
            lines.append(escape(rec.text_en))
            lines.append(
                "<i>" + escape(l10n.gettext("Draft translation, not yet reviewed.")) + "</i>"
            )
        lines.append(escape(rec.khmer.text))
    else:
        lines.append(escape(rec.text_en))
        lines.extend(no_khmer_note(l10n, rec))
    lines.append("")
    states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
    lines.append(
        escape(
            l10n.ngettext(
                "Recommending State: {states}",
                "Recommending States: {states}",
                len(catalog.states_of(rec)),
            ).format(states=states)
        )
    )
    lines.append(
        escape(
            l10n.gettext("Response: {response}").format(
                response=response_label(l10n, rec.response)
            )
        )
    )
    themes = catalog.themes_of(rec)
    if themes:
        lines.append(
            escape(
                l10n.gettext("Themes: {themes}").format(
                    themes=l10n.listing(t.name(l10n.language) for t in themes)
                )
            )
        )
    if assessment:
        lines.append(escape(assessment))
    if actions:
        lines.append(
            escape(
                l10n.ngettext(
                    "📋 {count} action in the strategies serves it",
                    "📋 {count} actions in the strategies serve it",
                    actions,
                ).format(count=l10n.number(actions))
            )
        )
    if rec.sdg_targets:
        lines.append(
            escape(
                l10n.gettext("SDG targets: {targets}").format(targets=", ".join(rec.sdg_targets))
            )
        )
    return "\n".join(lines)


def card_keyboard(
    l10n: Localizer,
    rec: Recommendation,
    *,
    elsewhere: Sequence[int] = (),
    coordinator: bool = False,
    language: str | None = None,
    actions: int | None = None,
) -> InlineKeyboardMarkup:
    """Buttons under a card: other cycles with the same number, other language, share, the
    actions that serve it (when there are any and the reader may see them), edit."""
    rows: list[list[InlineKeyboardButton]] = []
    if elsewhere:
        rows.append(
            [
                InlineKeyboardButton(
                    l10n.gettext("{number} in cycle {cycle}").format(
                        number=rec.number, cycle=l10n.number(c)
                    ),
                    callback_data=OpenCard(c, str(rec.number)).pack(),
                )
                for c in elsewhere
            ]
        )
    row = []
    if rec.khmer is not None:
        shown = language or l10n.language
        other = "en" if shown == "km" else "km"
        label = l10n.gettext("English text") if other == "en" else l10n.gettext("Khmer text")
        row.append(
            InlineKeyboardButton(
                label, callback_data=OpenCard(rec.cycle, str(rec.number), Lang(other)).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            l10n.gettext("Share"), switch_inline_query=f"{rec.number} c{rec.cycle}"
        )
    )
    rows.append(row)
    if actions:
        label = l10n.gettext("📋 Actions ({count})").format(count=l10n.number(actions))
        rows.append([InlineKeyboardButton(label, callback_data=ServingActions(rec.id).pack())])
    if coordinator:
        rows.append(
            [
                InlineKeyboardButton(
                    l10n.gettext("Edit themes"), callback_data=EditThemes(rec.id).pack()
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def no_khmer_note(l10n: Localizer, rec: Recommendation) -> list[str]:
    """For a Khmer reader of a recommendation with no Khmer text: a line saying the English
    text is shown (nothing otherwise)."""
    if l10n.language != "km" or rec.khmer is not None:
        return []
    note = l10n.gettext(
        "No Khmer translation of this recommendation exists yet; the English text is shown."
    )
    return ["<i>" + escape(note) + "</i>"]


def list_line(l10n: Localizer, catalog: Catalog, index: int, rec: Recommendation) -> str:
    """One line of a result list: number, cycle, a snippet, the States, the response icon."""
    text = rec.text_in(l10n.language)
    states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
    snippet = truncate(text, SNIPPET)
    return (  # no words of its own: the cycle and the States come translated
        f"{l10n.number(index)}. <b>{escape(str(rec.number))}</b> ({escape(cycle_name(l10n, rec.cycle))}) "
        f"{escape(snippet)} — {escape(truncate(states, 60))} {RESPONSE_ICONS[rec.response]}"
    )


def describe_request(l10n: Localizer, catalog: Catalog, request: SearchRequest) -> str:
    """What was searched, in words: 'land · noted · Japan · cycle 2'."""
    parts = []
    if request.text:  # the words as typed, in their order (the filters follow, in words)
        parts.append(f"“{request.typed or request.text}”")
    if request.theme_id is not None and request.theme_id in catalog.themes_by_id:
        parts.append(catalog.themes_by_id[request.theme_id].name(l10n.language))
    if request.state is not None:
        parts.append(State(request.state).name(l10n.language))
    if request.response is not None:
        parts.append(response_label(l10n, request.response))
    if request.cycle is not None:
        parts.append(l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(request.cycle)))
    return " · ".join(parts) or l10n.gettext("all recommendations")


def suggestion_buttons(
    l10n: Localizer,
    catalog: Catalog,
    requests: Sequence[SearchRequest],
    remember: Callable[[SearchRequest], str],
) -> list[InlineKeyboardButton]:
    """A button per suggested search: a word (its words kept behind a token) or a theme."""
    buttons = []
    for request in requests:
        theme = catalog.themes_by_id.get(request.theme_id) if request.theme_id else None
        label = theme.name(l10n.language) if theme is not None else request.typed or request.text
        token = remember(request) if request.text else ""
        buttons.append(
            InlineKeyboardButton(f"🔎 {label}", callback_data=list_data(request, token, 0))
        )
    return buttons


def _not_understood(l10n: Localizer, catalog: Catalog, result: SearchResult) -> str:
    """The words that matched nothing: those the bot knows are in no recommendation, the
    others are not understood."""
    known = [catalog.knows(word) for word in result.unknown]
    pairs = list(zip(result.unknown_as_typed, known, strict=True))
    mentioned = ", ".join(f"“{w}”" for w, k in pairs if k)
    unclear = ", ".join(f"“{w}”" for w, k in pairs if not k)
    lines = []
    if mentioned and result.recommendations and not unclear:  # else said once, below
        lines.append(
            l10n.gettext(
                "No recommendation mentions {words}. These results are for your other words."
            ).format(words=mentioned)
        )
    elif mentioned:
        lines.append(l10n.gettext("No recommendation mentions {words}.").format(words=mentioned))
    if unclear and result.recommendations:
        lines.append(
            l10n.gettext(
                "Not understood: {words}. These results are for your other words."
            ).format(words=unclear)
        )
    elif unclear:
        lines.append(l10n.gettext("Not understood: {words}.").format(words=unclear))
    return "\n".join(f"<i>{escape(line)}</i>" for line in lines)


def result_page(
    l10n: Localizer,
    catalog: Catalog,
    result: SearchResult,
    page: int,
    token: str,
    suggestions: Sequence[InlineKeyboardButton] = (),
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of results, with buttons to open each card, turn pages and filter; the words
    that matched nothing are named, with nearby words to try (`suggestions`)."""
    total = len(result.recommendations)
    what = escape(describe_request(l10n, catalog, result.request))
    if total == 0:
        text = l10n.gettext(
            "Nothing found for {query}. Try fewer or other words, a State, or browse /themes."
        ).format(query=what)
        if result.unknown:
            text += "\n" + _not_understood(l10n, catalog, result)
        markup = filter_keyboard(l10n, catalog, result.request, token)
        if suggestions:
            text += "\n" + escape(l10n.gettext("Did you mean one of these?"))
            rows = [list(suggestions[i : i + 2]) for i in range(0, len(suggestions), 2)]
            markup = InlineKeyboardMarkup(rows + list(markup.inline_keyboard))
        return text, markup
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    shown = result.recommendations[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    header = l10n.ngettext(
        "{count} recommendation for {query}", "{count} recommendations for {query}", total
    ).format(count=l10n.number(total), query=what)
    lines = [f"🔎 <b>{header}</b>"]
    if result.partial:
        lines.append(
            "<i>"
            + escape(
                l10n.gettext("No recommendation has all your words; these have some of them.")
            )
            + "</i>"
        )
    if result.unknown:
        lines.append(_not_understood(l10n, catalog, result))
    if pages > 1:
        lines.append(escape(page_label(l10n, page, pages)))
    lines.append("")
    start = page * PAGE_SIZE
    lines.extend(list_line(l10n, catalog, start + i + 1, rec) for i, rec in enumerate(shown))
    lines.append("")
    lines.append(escape(l10n.gettext("Tap a number to read the full recommendation.")))
    buttons = [
        [
            InlineKeyboardButton(
                l10n.number(start + i + 1),
                callback_data=OpenCard(rec.cycle, str(rec.number)).pack(),
            )
            for i, rec in enumerate(shown)
        ]
    ]
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton("◀", callback_data=list_data(result.request, token, page - 1))
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton("▶", callback_data=list_data(result.request, token, page + 1))
        )
    if nav:
        buttons.append(nav)
    markup = filter_keyboard(l10n, catalog, result.request, token)
    return "\n".join(lines), InlineKeyboardMarkup(buttons + list(markup.inline_keyboard))


def filter_keyboard(
    l10n: Localizer, catalog: Catalog, request: SearchRequest, token: str
) -> InlineKeyboardMarkup:
    """Buttons that narrow or widen a list by response and by cycle."""

    def mark(label: str, active: bool) -> str:
        return f"• {label} •" if active else label

    responses = [
        InlineKeyboardButton(
            mark(l10n.gettext("All"), request.response is None),
            callback_data=list_data(_replace(request, response=None), token, 0),
        ),
        InlineKeyboardButton(
            mark(f"✅ {l10n.gettext('Accepted')}", request.response is Response.ACCEPTED),
            callback_data=list_data(_replace(request, response=Response.ACCEPTED), token, 0),
        ),
        InlineKeyboardButton(
            mark(f"📝 {l10n.gettext('Noted')}", request.response is Response.NOTED),
            callback_data=list_data(_replace(request, response=Response.NOTED), token, 0),
        ),
    ]
    rows = [responses]
    if len(catalog.cycles) > 1:
        rows.append(
            [
                InlineKeyboardButton(
                    mark(l10n.gettext("All cycles"), request.cycle is None),
                    callback_data=list_data(_replace(request, cycle=None), token, 0),
                )
            ]
            + [
                InlineKeyboardButton(
                    mark(
                        l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(c.number)),
                        request.cycle == c.number,
                    ),
                    callback_data=list_data(_replace(request, cycle=c.number), token, 0),
                )
                for c in catalog.cycles[-4:]
            ]
        )
    return InlineKeyboardMarkup(rows)


def _replace(request: SearchRequest, **changes: Any) -> SearchRequest:
    return replace(request, **changes)


_RESPONSE_CODES = {
    Response.ACCEPTED: "a",
    Response.NOTED: "n",
    Response.REJECTED: "x",
    Response.PENDING: "p",
}
_CODE_RESPONSES = {v: k for k, v in _RESPONSE_CODES.items()}


def state_code(key: str) -> str:
    """A State key short and safe enough for callback data."""
    if key.isascii() and key.isalnum() and len(key) <= 3:
        return key
    return "h" + hashlib.sha1(key.encode()).hexdigest()[:8]  # noqa: S324 - an id, not security


def list_data(request: SearchRequest, token: str, page: int) -> str:
    """Callback data for a page of a list: filters inline, the words behind a token."""
    return ListPage(
        cycle=request.cycle or None,
        state=state_code(request.state) if request.state else None,
        theme=request.theme_id or None,
        response=_RESPONSE_CODES.get(request.response) if request.response else None,
        token=token if request.text and token else None,
        page=page,
    ).pack()


class StaleButton(ValueError):
    """List data whose filters no longer mean anything."""


class ExpiredSearch(StaleButton):
    """The words behind a list button were forgotten (e.g. after a restart)."""


def parse_list_data(
    data: ListPage, catalog: Catalog, recall: Callable[[str], SearchRequest | None]
) -> SearchRequest:
    """Read a list button's filters back into a request."""
    state_key = None
    if data.state:
        state_key = next((k for k in catalog.states if state_code(k) == data.state), None)
        if state_key is None:
            raise StaleButton(data.state)
    if data.response and data.response not in _CODE_RESPONSES:
        raise StaleButton(data.response)
    text = typed = ""
    if data.token:
        remembered = recall(data.token)
        if remembered is None:
            raise ExpiredSearch(data.token)
        text, typed = remembered.text, remembered.typed
    response = _CODE_RESPONSES[data.response] if data.response else None
    return SearchRequest(text, data.cycle, state_key, data.theme, response, typed=typed)


def number_reply(l10n: Localizer, catalog: Catalog, result: NumberResult) -> list[str]:
    """Messages answering a number lookup: the cards found, then what was not found."""
    blocks = [card(l10n, catalog, rec) for rec in result.found]
    if result.truncated_from:
        blocks.append(
            escape(
                l10n.gettext(
                    "Showing the first {shown} of {total}. Ask for a shorter range to see the rest."
                ).format(
                    shown=l10n.number(len(result.found)), total=l10n.number(result.truncated_from)
                )
            )
        )
    for number in result.missing:
        blocks.append(missing_line(l10n, number, result.cycle, result.elsewhere.get(number, ())))
    return split_messages(blocks)


def missing_line(
    l10n: Localizer, number: RecNumber, cycle: int | None, elsewhere: Sequence[int]
) -> str:
    """Why a number was not found, and where it exists instead."""
    if cycle is None:
        return escape(l10n.gettext("No recommendations are loaded yet."))
    if elsewhere:
        return escape(
            l10n.gettext(
                "{number} is not in cycle {cycle}. It exists in: {cycles}. Tap a button below."
            ).format(
                number=number,
                cycle=l10n.number(cycle),
                cycles=", ".join(
                    l10n.gettext("cycle {cycle}").format(cycle=l10n.number(c)) for c in elsewhere
                ),
            )
        )
    return escape(
        l10n.gettext(
            "There is no recommendation {number} in cycle {cycle}, nor in any other cycle."
        ).format(number=number, cycle=l10n.number(cycle))
    )


def split_messages(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join HTML blocks into as few messages as fit Telegram's limit, never cutting a tag."""
    messages: list[str] = []
    current = ""
    separator = "\n\n—————\n\n"
    for block in blocks:
        for piece in _fit(block, limit):
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _fit(block: str, limit: int) -> list[str]:
    # Blocks are built from whole lines, each closing its own tags: cut only between lines.
    if len(block) <= limit:
        return [block]
    pieces, current = [], ""
    for line in block.split("\n"):
        while len(line) > limit:  # an absurdly long plain line: cut, avoiding entities
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            amp = line.rfind("&", 0, cut)
            if amp > 0 and line.find(";", amp, cut) == -1:
                cut = amp
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def overall_label(l10n: Localizer, value: Overall) -> str:
    """The published colour in words, with its symbol."""
    return f"{value.emoji} {overall_words(l10n, value)}"


def overall_words(l10n: Localizer, value: Overall) -> str:
    """The published colour in words only (a picture's legend: its font has no emoji)."""
    labels = {
        Overall.RED: l10n.gettext("Red: no progress"),
        Overall.ORANGE: l10n.gettext("Orange: some progress"),
        Overall.GREEN: l10n.gettext("Green: fully implemented"),
        Overall.CONTESTED: l10n.gettext("Contested: ratings widely split"),
        Overall.NOT_ENOUGH: l10n.gettext("Not enough ratings"),
    }
    return labels[value]


SUMMARY_ORDER = (Overall.GREEN, Overall.ORANGE, Overall.RED, Overall.CONTESTED, Overall.NOT_ENOUGH)


def named_counts(l10n: Localizer, counts: dict[Overall, int]) -> str:
    """'🟢 3 · 🟠 5 · 🔴 2 · ⚖️ contested 1 · not enough 4': the colours by their symbol, the
    other two by name; zero counts left out."""
    named = {
        Overall.CONTESTED: l10n.gettext("⚖️ contested {count}"),
        Overall.NOT_ENOUGH: l10n.gettext("not enough {count}"),
    }
    return " · ".join(
        named[value].format(count=l10n.number(counts[value]))
        if value in named
        else f"{value.emoji} {l10n.number(counts[value])}"
        for value in SUMMARY_ORDER
        if counts.get(value)
    )


def recommendation_text(l10n: Localizer, rec: Recommendation) -> str:
    """The recommendation's text in the reader's language (Khmer when translated)."""
    return rec.text_in(l10n.language)


def short_text(l10n: Localizer, rec: Recommendation, limit: int = 60) -> str:
    """The recommendation's text cut at a word to about `limit` characters (a Khmer cut never
    leaves a subscript sign without its consonant)."""
    text = truncate(" ".join(recommendation_text(l10n, rec).split()), limit)
    return text[:-2] + "…" if text.endswith("\u17d2…") else text


def assessment_line(l10n: Localizer, round_: Round, value: Overall, dist: Distribution) -> str:
    """The line a recommendation's card shows for its latest published round."""
    return l10n.gettext("Latest assessment ({round}): {colour} — {counts}").format(
        round=round_.name,
        colour=f"{value.emoji} {overall_short(l10n, value)}",
        counts=distribution_line(l10n, dist),
    )


def overall_short(l10n: Localizer, value: Overall) -> str:
    """The published colour's meaning alone ('fully implemented'), after its symbol in a line
    that already has a colon."""
    labels = {
        Overall.RED: l10n.gettext("no progress"),
        Overall.ORANGE: l10n.gettext("some progress"),
        Overall.GREEN: l10n.gettext("fully implemented"),
        Overall.CONTESTED: l10n.gettext("ratings widely split"),
        Overall.NOT_ENOUGH: l10n.gettext("not enough ratings"),
    }
    return labels[value]


def round_label(l10n: Localizer, round_: Round, limit: int = 0) -> str:
    """'3. Mid-term review' with the number in the reader's digits, cut to `limit` if given."""
    text = f"{l10n.number(round_.id)}. {round_.name}"
    return truncate(text, limit) if limit else text


def distribution_line(l10n: Localizer, dist: Distribution) -> str:
    """'🔴 3 · 🟠 5 · 🟢 1 · ❔ 2' in the reader's digits (the one place that writes it)."""
    return l10n.digits(dist.line())


def page_of(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int, int]:
    """The items on one page, the page clamped into range, and how many pages there are."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def page_label(l10n: Localizer, page: int, pages: int) -> str:
    """ "Page N of M" for the 0-based `page`, in the reader's digits."""
    return l10n.gettext("Page {page} of {pages}").format(
        page=l10n.number(page + 1), pages=l10n.number(pages)
    )


def page_turns(l10n: Localizer, page: int, pages: int) -> list[tuple[str, int]]:
    """◀ and ▶ around "page N of M" as (label, page it opens); none when all fits one page."""
    if pages <= 1:
        return []
    turns = [("◀", page - 1)] if page > 0 else []
    turns.append((page_label(l10n, page, pages), page))
    if page + 1 < pages:
        turns.append(("▶", page + 1))
    return turns


BUTTONS_PER_PAGE = 30  # Telegram refuses more than 100 buttons under one message


def paged_buttons(
    l10n: Localizer,
    buttons: Sequence[InlineKeyboardButton],
    page: int,
    turn: Callable[[int], CallbackData],
    *,
    size: int = BUTTONS_PER_PAGE,
    width: int = 1,
) -> list[list[InlineKeyboardButton]]:
    """One page of a list's buttons (the page clamped), `width` to a row, then ◀ Page N of M ▶
    whose payloads `turn(page)` makes; a list that fits one page has no turns."""
    shown, page, pages = page_of(buttons, page, size)
    rows = [list(shown[i : i + width]) for i in range(0, len(shown), width)]
    return rows + turn_row(l10n, page, pages, turn)


def turn_row(
    l10n: Localizer, page: int, pages: int, turn: Callable[[int], CallbackData]
) -> list[list[InlineKeyboardButton]]:
    """The row ◀ Page N of M ▶ (payloads from `turn(page)`) as a list of rows: none when
    everything fits one page."""
    turns = [
        InlineKeyboardButton(label, callback_data=turn(to).pack())
        for label, to in page_turns(l10n, page, pages)
    ]
    return [turns] if turns else []
