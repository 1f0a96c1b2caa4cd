"""Results of a round: pages, exports (built off the event loop), comparisons."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    User,
)
from telegram.error import BadRequest

from bot import charts
from bot.domain.arguments import OTHER_FILE_FORMATS, Words, arguments, read
from bot.domain.assessment import Overall, Round
from bot.domain.catalog import Catalog
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed, UnknownGroup, WorkingGroup, find_group
from bot.domain.round_notices import picture_scope
from bot.domain.rounds import (
    Assessments,
    Comparison,
    ResultRow,
    Summary,
    changes_by_theme,
    compare_rows,
    export_rows,
    reasons_cell,
    reasons_form,
    theme_blocks,
)
from bot.domain.services import DomainServices
from bot.domain.spreadsheet import collector_paused, table
from bot.domain.text import truncate
from handlers import lookup, render
from handlers.access import Press
from handlers.callbacks import (
    ComparePage,
    CompareRounds,
    ResultsPage,
    ResultsPick,
    RoundResults,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    stale,
    thread_of,
)
from handlers.render import (
    SUMMARY_ORDER,
    escape,
    named_counts,
    overall_label,
    overall_words,
    page_label,
    page_of,
    short_text,
)

RESULTS_PER_PAGE = 8
# A results picture's bars at most (~100 px each): it stays readable on a phone and within
# Telegram's photo limits (width + height at most 10,000 px) however many groups there are.
PICTURE_BARS = 20

log = logging.getLogger(__name__)
_Row = TypeVar("_Row", bound=tuple[object, dict[Overall, int]])


async def _group_of(message: Message, context: BotContext) -> WorkingGroup | None:
    """Whose results: in a linked group chat that working group's; elsewhere the group named
    after the round numbers (/results 1 land, /results 1 ដីធ្លី); otherwise the whole
    coalition's (None). UnknownGroup for words that name no group."""
    groups = await context.services.coalition.working_groups()
    if (group_id := await _linked(message, context)) is not None:
        return next((g for g in groups if g.id == group_id), None)
    return find_group(groups, " ".join(read(message.text or "").rest))


async def _linked(message: Message, context: BotContext) -> int | None:
    """The working group a group chat (or its topic) is linked to; None in private."""
    if message.chat.type == "private":
        return None
    return await context.services.coalition.linked_group(message.chat.id, thread_of(message))


async def _group_or_say(
    message: Message, l10n: Localizer, context: BotContext
) -> tuple[bool, WorkingGroup | None]:
    """(True, the group or None for the whole coalition); (False, None) once the reader was told
    that the words name no group."""
    try:
        return True, await _group_of(message, context)
    except UnknownGroup as exc:
        groups = await context.services.coalition.working_groups()
        await message.reply_text(escape(_unknown_group(l10n, groups, exc.words)))
        return False, None


def _unknown_group(l10n: Localizer, groups: list[WorkingGroup], words: str) -> str:
    return l10n.gettext("I don't know the group «{name}». The groups are: {groups}.").format(
        name=words,
        groups=render.group_names(l10n, groups, render.GROUPS_NAMED),
    )


async def send_results(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    round_id: int,
    group: WorkingGroup | None = None,
) -> None:
    """The one-glance summary (participation, colours per theme), then the table, paged."""
    services = context.services
    group_id = group.id if group else None
    private = message.chat.type == "private"
    if await _nothing_for(
        l10n,
        message,
        services,
        (user_id, round_id),
        group,
        # no empty page
        l10n.gettext(
            "«{group}» has no results in «{round}»: none of the round's recommendations is "
            "on the working group's list."
        ),
    ):
        return
    round_, rows = await services.assessments.results(
        user_id,
        round_id,
        services.catalog,
        private=private,
        group_id=group_id,
        form=reasons_form(l10n),
    )
    took_part = await _took_part(l10n, context.services, round_id, group)
    summary = await _summary(services, round_, rows, group)
    if round_.published:  # the picture goes with what is published
        picture = await results_picture(l10n, round_, summary, group, took_part)
        if picture is not None:
            try:
                await message.reply_photo(picture, caption=escape(round_.name), do_quote=False)
            except BadRequest as error:  # a refused picture leaves the text to go alone
                log.warning("results picture of round %d refused: %s", round_id, error)
    lines = [f"<b>{escape(round_.name)}</b>", escape(took_part), ""]
    for named, counts in summary.rows:  # the picture's bars, in its order
        lines.append(
            escape(
                l10n.gettext("{theme}: {counts}").format(
                    theme=named.name(l10n.language), counts=named_counts(l10n, counts)
                )
            )
        )
    for chunk in render.split_messages(["\n".join(lines)]):
        await message.reply_text(chunk, do_quote=False)
    text, markup = _results_page(l10n, rows, round_id, 0, group_id or 0)
    await message.reply_text(text, reply_markup=markup, do_quote=False)


async def _nothing_for(
    l10n: Localizer,
    message: Message,
    services: DomainServices,
    asked: tuple[int, int],
    group: WorkingGroup | None,
    not_listed: str,
) -> bool:
    """True once the reader was told that a working group has nothing in a round, known
    before any table is built (`asked`: the reader and the round; NotAllowed when they may not
    see its results): `not_listed` (none of the round's recommendations on its list: how its
    list grows), or no member organisations (so no ratings: its results would be zeros, and
    how a coordinator adds them)."""
    if group is None:
        return False
    round_, listed = await services.assessments.listed(*asked, group.id)
    if not listed:
        grows = l10n.gettext(
            "A coordinator adds recommendations to a working group's list with /grouprecs."
        )
        said = not_listed.format(group=group.name(l10n.language), round=round_.name)
        await message.reply_text(escape(f"{said} {grows}"), do_quote=False)
        return True
    assessments = services.assessments
    took_part = await assessments.participation(round_.id, group.id)
    if await _has_raters(assessments, round_.id, group.id, took_part):
        return False
    said = l10n.gettext(
        "«{group}» has no member organisations, so nobody rated for it in «{round}». A "
        "coordinator adds organisations to a working group with /orgs: an organisation, then "
        "[{button}]."
    ).format(
        group=group.name(l10n.language), round=round_.name, button=l10n.gettext("Working groups")
    )
    await message.reply_text(escape(said), do_quote=False)
    return True


async def _took_part(
    l10n: Localizer, services: DomainServices, round_id: int, group: WorkingGroup | None
) -> str:
    group_id = group.id if group else None
    rated, total = await services.assessments.participation(round_id, group_id)
    if group:
        line = l10n.gettext("{rated} of {total} organisations of «{group}» took part.").format(
            rated=l10n.number(rated), total=l10n.number(total), group=group.name(l10n.language)
        )
    else:
        line = l10n.gettext("{rated} of {total} organisations took part.").format(
            rated=l10n.number(rated), total=l10n.number(total)
        )
    # A paused organisation's ratings count in the results (and the export): say so.
    if paused := await services.assessments.paused_raters(round_id, group_id):
        line += " " + l10n.ngettext(
            "The ratings of {count} organisation whose membership is paused count too.",
            "The ratings of {count} organisations whose membership is paused count too.",
            paused,
        ).format(count=l10n.number(paused))
    return line


async def notice_picture(services: DomainServices, picture: str, language: str) -> bytes | None:
    """The picture a published notice names (bot/domain/round_notices.py results_picture), in
    `language`: a working group's own results, or the coalition's by group; None when the
    name is unknown or there is nothing to draw."""
    scope = picture_scope(picture)
    if scope is None:
        return None
    round_id, group_id = scope
    group = None
    if group_id is not None:
        group = next(
            (g for g in await services.coalition.working_groups() if g.id == group_id), None
        )
        if group is None:
            return None
    round_, rows = await services.assessments.published_results(
        round_id, services.catalog, group_id
    )
    l10n = services.translations.localizer(language)
    took_part = await _took_part(l10n, services, round_id, group)
    summary = await _summary(services, round_, rows, group)
    return await results_picture(l10n, round_, summary, group, took_part)


async def _summary(
    services: DomainServices, round_: Round, rows: list[ResultRow], group: WorkingGroup | None
) -> Summary:
    """The rows both the picture and the text show (the whole coalition's: per working group
    when the round spans two or more)."""
    groups = None if group is not None else await services.coalition.working_groups()
    return await services.assessments.summary(round_, services.catalog, rows, groups)


async def results_picture(
    l10n: Localizer,
    round_: Round,
    summary: Summary,
    group: WorkingGroup | None,
    subtitle: str,
) -> bytes | None:
    """The results as a PNG, drawn off the event loop (None when there is nothing to draw):
    a bar per row of `summary` (per working group, each group's own judgement, or per
    theme), the same rows in the same order as the text."""
    language = l10n.language
    rows = _most_rated(summary.rows)
    bars = [_colour_bar(named.name(language), counts) for named, counts in rows]
    if len(rows) < len(summary.rows):
        subtitle += "\n" + l10n.gettext(
            "The {shown} of {total} with the most recommendations; /results lists them all."
        ).format(shown=l10n.number(len(rows)), total=l10n.number(len(summary.rows)))
    totals: tuple[int, ...] | None = None  # a recommendation in two themes counts in both
    if summary.by_group:
        title = l10n.gettext("{round}: results by working group").format(round=round_.name)
    else:
        if summary.totals is not None:
            totals = _colour_bar("", summary.totals).counts
        title = (
            l10n.gettext("{round} · {group}: results by theme").format(
                round=round_.name, group=group.name(language)
            )
            if group
            else l10n.gettext("{round}: results by theme").format(round=round_.name)
        )
    if not bars:
        return None
    return await asyncio.to_thread(
        partial(
            charts.bar_chart,
            title,
            _colour_categories(l10n),
            bars,
            subtitle=subtitle,
            totals=totals,
            number=l10n.number,
        )
    )


def _most_rated(rows: Sequence[_Row]) -> list[_Row]:
    """The PICTURE_BARS rows with the most recommendations, in their order."""
    kept = sorted(range(len(rows)), key=lambda i: -sum(rows[i][1].values()))[:PICTURE_BARS]
    return [rows[i] for i in sorted(kept)]


def _colour_bar(label: str, counts: dict[Overall, int]) -> charts.Bar:
    return charts.Bar(label, tuple(counts[value] for value in SUMMARY_ORDER))


def _colour_categories(l10n: Localizer) -> list[charts.Category]:
    return [
        charts.Category(overall_words(l10n, value), charts.OVERALL_RGB[value])
        for value in SUMMARY_ORDER
    ]


def _results_page(
    l10n: Localizer, rows: list[ResultRow], round_id: int, page: int, group_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    shown, page, pages = page_of(rows, page, RESULTS_PER_PAGE)
    blocks = [escape(page_label(l10n, page, pages))]
    for row in shown:
        coalition = (
            "\n"
            + l10n.gettext("Whole coalition: {colour}").format(
                colour=overall_label(l10n, row.coalition)
            )
            if row.coalition is not None
            else ""
        )
        blocks.append(
            f"<b>{escape(str(row.recommendation.number))}</b> "
            f"{escape(overall_label(l10n, row.overall))}\n"
            f"<i>{escape(short_text(l10n, row.recommendation))}</i>\n"
            f"{escape(render.distribution_line(l10n, row.distribution) + coalition)}\n"
            f"{escape(truncate(reasons_cell(l10n, row), 350))}".rstrip()
        )
    if l10n.language == "km" and any(  # a draft alone is never shown: English is
        row.recommendation.text_in("km") == row.recommendation.text_en for row in shown
    ):
        note = l10n.gettext(
            "Recommendations with no reviewed Khmer translation yet are shown in English."
        )
        blocks.append(f"<i>{escape(note)}</i>")
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                "◀", callback_data=ResultsPage(round_id, page - 1, group_id).pack()
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(
                "▶", callback_data=ResultsPage(round_id, page + 1, group_id).pack()
            )
        )
    text = render.split_messages(["\n\n".join(blocks)])[0]
    return text, InlineKeyboardMarkup([nav]) if nav else None


def _no_such_round(l10n: Localizer, round_id: int) -> str:
    return l10n.gettext("There is no round {id}. See /rounds.").format(id=l10n.number(round_id))


def _not_two(l10n: Localizer) -> str:
    return l10n.gettext("There are not yet two rounds with results to compare. See /rounds.")


def _results_not_yet(l10n: Localizer) -> str:
    return l10n.gettext("Results are shown to members once coordinators publish a closed round.")


async def on_results_page(press: Press[ResultsPage], context: BotContext) -> None:
    """rq:<round>:<page>:<group or 0>: turn a page of results (permission checked again)."""
    try:
        round_, rows = await context.services.assessments.results(
            press.user.id,
            press.data.round_id,
            context.services.catalog,
            private=press.message.chat.type == "private",
            group_id=press.data.group or None,
            form=reasons_form(press.l10n),
        )
    except NotAllowed:
        await press.query.answer(_results_not_yet(press.l10n), show_alert=True)
        return
    except UnknownGroup:  # a forged button: no such working group
        await press.query.answer(stale(press.l10n), show_alert=True)
        return
    await press.query.answer()
    text, markup = _results_page(press.l10n, rows, round_.id, press.data.page, press.data.group)
    await lookup.edit(press.message, text, markup)


async def on_results_button(press: Press[RoundResults], context: BotContext) -> None:
    """rs:<round>: [Results] beside a published round in /rounds, as /results <round> (in a
    linked group chat, that working group's)."""
    message = press.message
    group = None if message.chat.type == "private" else await _group_of(message, context)
    await press.query.answer()
    try:
        await send_results(message, press.l10n, context, press.user.id, press.data.round_id, group)
    except NotAllowed:  # unpublished meanwhile
        await message.reply_text(escape(_results_not_yet(press.l10n)))


FILLS = {  # a colour cell's fill in an XLSX export (ARGB, the light tones spreadsheets offer)
    Overall.RED: "FFEA9999",
    Overall.ORANGE: "FFF9CB9C",
    Overall.GREEN: "FFB6D7A8",
}


async def send_export(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    round_id: int,
    fmt: str,
    by_theme: bool = False,
    group: WorkingGroup | None = None,
    to: int | None = None,
) -> None:
    """Send a round's results as a CSV or XLSX file (every working group's block, or one's),
    built off the event loop; `to`: into that private chat instead (a button in a group)."""
    private = message.chat.type == "private" or to is not None
    if await _nothing_for(
        l10n,
        message,
        context.services,
        (user_id, round_id),
        group,
        # no file with a header alone
        l10n.gettext(
            "Nothing to export: none of the recommendations of «{round}» is on the list of "
            "«{group}»."
        ),
    ):
        return
    round_, content = await export_table(
        context.services, l10n, user_id, round_id, fmt, by_theme, group, private=private
    )
    part = "-themes" if by_theme else f"-{group.slug}" if group is not None else ""
    document = InputFile(content, filename=f"round-{round_id}{part}-{l10n.language}.{fmt}")
    if to is not None:
        await message.get_bot().send_document(to, document, caption=escape(round_.name))
        return
    await message.reply_document(document, caption=escape(round_.name), do_quote=False)


async def export_table(
    services: DomainServices,
    l10n: Localizer,
    user_id: int,
    round_id: int,
    fmt: str,
    by_theme: bool = False,
    group: WorkingGroup | None = None,
    *,
    private: bool = True,
) -> tuple[Round, bytes]:
    """A round's results as CSV or XLSX bytes (every working group's block, or one's): the
    reasons cells written by the database, the table built and written in a worker thread."""
    form = reasons_form(l10n)
    if by_theme:  # themes keep the coalition-wide colours
        round_, rows = await services.assessments.results(
            user_id, round_id, services.catalog, private=private, form=form
        )
        blocks = theme_blocks(services.catalog, rows, l10n.language)
    else:  # each working group's block is that group's own judgement
        # /export 1 xlsx land: that group's block only
        groups = [group] if group else await services.coalition.working_groups()
        round_, everyone, by_group = await services.assessments.group_tables(
            user_id, round_id, services.catalog, groups, private=private, form=form
        )
        blocks = [(g.name(l10n.language), by_group[g.id]) for g in groups]
    first = blocks
    if group is None and not by_theme:  # every rating and reason, whatever the rater's groups
        coalition = [replace(row, coalition=row.overall) for row in everyone]
        first = [(l10n.gettext("Whole coalition"), coalition), *blocks]
    # A large table must not stall chats: it is built and written in a worker thread.
    content = await asyncio.to_thread(
        _export_file, l10n, services.catalog, first, len(blocks), fmt, round_.name, by_theme
    )
    return round_, content


def _export_file(
    l10n: Localizer,
    catalog: Catalog,
    blocks: list[tuple[str, list[ResultRow]]],
    own_sheets: int,
    fmt: str,
    sheet: str,
    by_theme: bool,
) -> bytes:
    """The whole table on a sheet named after the round (by working group: the whole
    coalition's block first, with every rating), then (XLSX) one sheet for each of the last
    `own_sheets` blocks (working groups or themes) with rows, each colour cell filled with its
    colour."""
    with collector_paused():  # thousands of long new strings, none in a cycle
        data = export_rows(l10n, catalog, blocks, overall_label, by_theme=by_theme)
        more = []
        start = 1 + sum(len(rows) for _, rows in blocks[: len(blocks) - own_sheets])
        for name, rows in blocks[len(blocks) - own_sheets :]:
            if rows and fmt == "xlsx":  # the block's own lines, under the same header
                more.append((name, [data[0], *data[start : start + len(rows)]]))
            start += len(rows)
        fills = {overall_label(l10n, value): argb for value, argb in FILLS.items()}
        return table(data, fmt, sheet=sheet, more=more, fills=fills)


def _published_picker(
    l10n: Localizer, published: list[Round], page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/results alone: a [Results] button for each published round, newest first, a page at
    a time."""
    if not published:
        return escape(l10n.gettext("No results are published yet.")), None
    buttons = [
        InlineKeyboardButton(
            l10n.gettext("Results: {round}").format(round=render.round_label(l10n, r, 40)),
            callback_data=RoundResults(r.id).pack(),
        )
        for r in sorted(published, key=lambda r: r.id, reverse=True)
    ]
    rows = render.paged_buttons(l10n, buttons, page, ResultsPick)
    return escape(l10n.gettext("Which round's results?")), InlineKeyboardMarkup(rows)


async def _published(context: BotContext) -> list[Round]:
    return [r for r in await context.services.assessments.rounds() if r.published]


async def on_results_pick(press: Press[ResultsPick], context: BotContext) -> None:
    """◀ ▶ under /results alone: that page of the published rounds, read again."""
    await press.query.answer()
    view = _published_picker(press.l10n, await _published(context), press.data.page)
    await lookup.edit(press.message, *view)


@answering_not_allowed
async def results(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/results [round]: the table in chat (members: only published rounds, no names)."""
    round_id = _round_argument(message)
    if round_id is None and not arguments(message.text or ""):
        published = await _published(context)
        if len(published) != 1:
            text, markup = _published_picker(l10n, published)
            await message.reply_text(text, reply_markup=markup)
            return
        round_id = published[0].id  # the only published round: shown at once
    if round_id is None:
        await message.reply_text(
            escape(l10n.gettext("Which round? For example /results 1. See /rounds."))
        )
        return
    known, group = await _results_group(message, l10n, context, round_id)
    if not known:
        return
    round_ = await context.services.assessments.round(round_id)
    if round_ is None:
        await message.reply_text(escape(_no_such_round(l10n, round_id)))
        return
    if round_.open and not await context.services.is_coordinator(user.id):
        await message.reply_text(escape(await _still_open(l10n, context, round_, group)))
        return
    try:
        await send_results(message, l10n, context, user.id, round_id, group)
    except NotAllowed:
        await message.reply_text(escape(_results_not_yet(l10n)))


async def _has_raters(
    assessments: Assessments, round_id: int, group_id: int, took_part: tuple[int, int]
) -> bool:
    """Whether a working group has anyone to rate for it in a round: member organisations
    (`took_part`: its participation, rated of total), or paused ones that rated."""
    rated, total = took_part
    return bool(total or rated or await assessments.paused_raters(round_id, group_id))


async def _still_open(
    l10n: Localizer, context: BotContext, round_: Round, group: WorkingGroup | None
) -> str:
    """What a member asking for an open round's results is told: how many organisations (of
    the working group asked for, named) took part so far, or that the group has none."""
    assessments = context.services.assessments
    rated, total = await assessments.participation(round_.id, group.id if group else None)
    if group is None:
        said = l10n.gettext(
            "This round is still open: results are shown once coordinators publish them. So far "
            "{rated} of {total} organisations have taken part."
        )
    elif not await assessments.group_listed(round_.id, group.id):
        said = l10n.gettext(
            "This round is still open, and none of its recommendations is on the list of "
            "«{group}», so it will have no results in «{round}». A coordinator adds "
            "recommendations to a working group's list with /grouprecs."
        )
    elif await _has_raters(assessments, round_.id, group.id, (rated, total)):
        said = l10n.gettext(
            "This round is still open: results are shown once coordinators publish them. So far "
            "{rated} of {total} organisations of «{group}» have taken part."
        )
    else:
        said = l10n.gettext(
            "This round is still open, and «{group}» has no member organisations, so nobody "
            "rates for it in «{round}». A coordinator adds organisations to a working group "
            "with /orgs: an organisation, then [{button}]."
        )
    return said.format(
        rated=l10n.number(rated),
        total=l10n.number(total),
        group=group.name(l10n.language) if group else "",
        round=round_.name,
        button=l10n.gettext("Working groups"),
    )


@answering_not_allowed
async def export(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/export <round> [csv|xlsx] [themes | a working group's short name]: the table as a
    file, by working group, by theme, or one working group's block."""
    round_id = _round_argument(message)
    if round_id is None:
        await message.reply_text(
            escape(l10n.gettext("Which round? For example /export 1 xlsx. See /rounds."))
        )
        return
    services = context.services
    words = read(message.text or "")
    try:  # the other words name a working group (land, ដីធ្លី), or nothing
        group, left = _group_and_left(await services.coalition.working_groups(), words.rest)
    except UnknownGroup as exc:
        await message.reply_text(escape(await _unknown_word(l10n, context, words, exc.words)))
        return
    if other := _second_format(words):
        said = l10n.gettext(
            "I cannot use «{words}» here: one format at a time. Formats: {formats}."
        )
        await message.reply_text(escape(said.format(words=other[:40], formats="csv, xlsx")))
        return
    by_theme = "themes" in words.options
    # Nothing silently left out: a second number, a second working group, or a working group
    # beside «themes».
    extra = [l10n.number(n) for n in words.numbers[1:]] + list(words.rest if by_theme else left)
    if extra:
        await message.reply_text(escape(await _not_used(l10n, context, " ".join(extra))))
        return
    if await services.assessments.round(round_id) is None:
        await message.reply_text(escape(_no_such_round(l10n, round_id)))
        return
    fmt = "csv" if "csv" in words.options else "xlsx"
    try:
        await send_export(message, l10n, context, user.id, round_id, fmt, by_theme, group)
    except NotAllowed:
        await message.reply_text(escape(_results_not_yet(l10n)))


async def _results_group(
    message: Message, l10n: Localizer, context: BotContext, round_id: int
) -> tuple[bool, WorkingGroup | None]:
    """/results' working group as _group_or_say; (False, None) once the reader was told of a
    word it cannot use (a format: /export makes files; «themes», a second round or group)."""
    words = read(message.text or "")
    groups = await context.services.coalition.working_groups()
    left: tuple[str, ...] = ()
    if await _linked(message, context) is None:  # a linked chat's group is its own
        with contextlib.suppress(UnknownGroup):  # said by _group_or_say below
            _, left = _group_and_left(groups, words.rest)
    formats = [(typed, meant) for typed, meant in words.typed if meant in ("csv", "xlsx")]
    if formats:
        typed, meant = formats[0]
        said = l10n.gettext(
            "I cannot use «{words}» here: /results shows the results in the chat. For a file: "
            "{command}"
        ).format(words=typed[:40], command=f"/export {round_id} {meant}")
        await message.reply_text(escape(said))
        return False, None
    themes = [typed for typed, meant in words.typed if meant == "themes"]
    extra = [l10n.number(n) for n in words.numbers[1:]] + themes + list(left)
    if extra:
        said = l10n.gettext(
            "I cannot use «{words}» here: after the round's number, /results takes one working "
            "group. Working groups: {groups}."
        ).format(
            words=" ".join(extra)[:40],
            groups=render.group_names(l10n, groups, render.GROUPS_NAMED),
        )
        await message.reply_text(escape(said))
        return False, None
    return await _group_or_say(message, l10n, context)


def _group_and_left(
    groups: Sequence[WorkingGroup], rest: Sequence[str]
) -> tuple[WorkingGroup | None, tuple[str, ...]]:
    """The working group the words name and no words left; else the group their first words
    name and the words after them (land labour: land, and «labour» that cannot be used too).
    UnknownGroup when not even their first words name one."""
    try:
        return find_group(groups, " ".join(rest)), ()
    except UnknownGroup:
        names = (n.replace("\u200b", " ") for g in groups for n in (g.slug, g.name_en, g.name_km))
        longest = max((len(name.split()) for name in names), default=0)  # no longer prefix
        for end in range(min(len(rest) - 1, longest), 0, -1):
            try:
                return find_group(groups, " ".join(rest[:end])), tuple(rest[end:])
            except UnknownGroup:
                continue
        raise


def _second_format(words: Words) -> str | None:
    """The first format word typed that asks for another format than the first one (csv
    xlsx: xlsx), else None."""
    meant = [(typed, m) for typed, m in words.typed if m in ("csv", "xlsx")]
    return next((typed for typed, m in meant if m != meant[0][1]), None)


async def _not_used(l10n: Localizer, context: BotContext, words: str) -> str:
    """What to say when /export's words are understood but do not go together: the words left
    out, and what /export takes (the formats, the working groups: twenty and how many more)."""
    groups = await context.services.coalition.working_groups()
    return l10n.gettext(
        "I cannot use «{words}» here: after the round's number, /export takes a format and "
        "either «themes» or one working group. Formats: {formats}. Working groups: {groups}."
    ).format(
        words=words[:40],
        formats="csv, xlsx",
        groups=render.group_names(l10n, groups, render.GROUPS_NAMED),
    )


async def _unknown_word(l10n: Localizer, context: BotContext, words: Words, unknown: str) -> str:
    """What to say when /export's words name no working group: a group misspelt (a format
    given, several words, Khmer), a format the bot does not make (pdf), or either."""
    groups = await context.services.coalition.working_groups()
    if words.options & {"csv", "xlsx"} or len(words.rest) > 1 or not unknown.isascii():
        return _unknown_group(l10n, groups, unknown[:40])
    word, formats = words.rest[0][:20], "csv, xlsx"
    if word.casefold() in OTHER_FILE_FORMATS:
        return l10n.gettext("I cannot make «{format}» files. Formats: {formats}.").format(
            format=word, formats=formats
        )
    return l10n.gettext(
        "«{word}» is neither a file format nor a working group. Formats: {formats}. Working "
        "groups: {groups}."
    ).format(
        word=word, formats=formats, groups=render.group_names(l10n, groups, render.GROUPS_NAMED)
    )


@answering_not_allowed
async def compare(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/compare <earlier round> <later round>: what progressed and what regressed; without
    anything after it (in a group: that group's), buttons to choose the two rounds."""
    words = read(message.text or "")
    numbers = words.numbers
    if len(numbers) != 2 and (numbers or words.options or words.rest):  # alone: buttons
        await message.reply_text(
            escape(l10n.gettext("Give two rounds, for example /compare 1 2."))
        )
        return
    known, group = await _group_or_say(message, l10n, context)
    if not known:
        return
    if not numbers:
        await _offer_comparison(message, l10n, context, user.id, group)
        return
    if numbers[0] == numbers[1]:
        await message.reply_text(
            escape(l10n.gettext("Give two different rounds, for example /compare 1 2."))
        )
        return
    for round_id in numbers:
        if await context.services.assessments.round(round_id) is None:
            await message.reply_text(escape(_no_such_round(l10n, round_id)))
            return
    fmt = "csv" if "csv" in words.options else "xlsx" if "xlsx" in words.options else None
    await _send_comparison(message, l10n, context, user.id, (numbers[0], numbers[1]), group, fmt)


async def _offer_comparison(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    group: WorkingGroup | None,
) -> None:
    """/compare alone: the only two comparable rounds of one scope proposed at once, else a
    button per comparable round (newest first) to choose the earlier one."""
    rounds = await context.services.assessments.comparable(user_id)
    group_id = group.id if group else 0
    if len(rounds) < 2:
        await message.reply_text(escape(_not_two(l10n)))
        return
    later, earlier = rounds[0], rounds[-1]
    if len(rounds) == 2 and (later.cycle, later.scope) == (earlier.cycle, earlier.scope):
        text = l10n.gettext("Compare «{earlier}» with «{later}»?").format(
            earlier=earlier.name, later=later.name
        )
        button = InlineKeyboardButton(
            l10n.gettext("Compare"),
            callback_data=CompareRounds(earlier.id, later.id, group_id).pack(),
        )
        await message.reply_text(escape(text), reply_markup=InlineKeyboardMarkup([[button]]))
        return
    text, markup = _compare_picker(l10n, rounds, None, group_id)
    await message.reply_text(text, reply_markup=markup)


def _compare_picker(
    l10n: Localizer, rounds: list[Round], earlier: Round | None, group_id: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """A button per comparable round, a page at a time: each as the earlier round (`earlier`
    None), or as the later one."""
    if earlier is None:
        text = l10n.gettext("Which rounds? First choose the earlier round:")
    else:
        text = l10n.gettext("Earlier round: «{name}». Now choose the later round:").format(
            name=earlier.name
        )
        rounds = [r for r in rounds if r.id != earlier.id]
    first = earlier.id if earlier else 0
    buttons = [
        InlineKeyboardButton(
            render.round_label(l10n, r, 40),
            callback_data=CompareRounds(first or r.id, r.id if first else 0, group_id).pack(),
        )
        for r in rounds
    ]
    rows = render.paged_buttons(l10n, buttons, page, lambda to: ComparePage(first, group_id, to))
    return escape(text), InlineKeyboardMarkup(rows)


async def on_compare_page(press: Press[ComparePage], context: BotContext) -> None:
    """◀ ▶ under /compare's round buttons: that page, the comparable rounds read again."""
    l10n, data = press.l10n, press.data
    rounds = await context.services.assessments.comparable(press.user.id)
    earlier = next((r for r in rounds if r.id == data.earlier), None)
    if data.earlier and earlier is None:  # as the round's own button would say
        await press.query.answer(_results_not_yet(l10n), show_alert=True)
        return
    if len(rounds) < 2:
        await press.query.answer(_not_two(l10n), show_alert=True)
        return
    await press.query.answer()
    view = _compare_picker(l10n, rounds, earlier, data.group, data.page)
    await lookup.edit(press.message, *view)


async def on_compare_button(press: Press[CompareRounds], context: BotContext) -> None:
    """cp:<earlier>:<later or 0>:<group or 0>: with the earlier round chosen, ask for the later
    one; with both, the comparison (the second round's results checked like the first's)."""
    l10n, data, message = press.l10n, press.data, press.message
    services = context.services
    if data.later == 0:
        rounds = await services.assessments.comparable(press.user.id)
        earlier = next((r for r in rounds if r.id == data.round_id), None)
        others = [r for r in rounds if r.id != data.round_id]
        if earlier is None or not others:
            await press.query.answer(_results_not_yet(l10n), show_alert=True)
            return
        await press.query.answer()
        await lookup.edit(message, *_compare_picker(l10n, rounds, earlier, data.group))
        return
    if message.chat.type == "private":
        groups = await services.coalition.working_groups()
        group = next((g for g in groups if g.id == data.group), None)
    else:
        group = await _group_of(message, context)
    await press.query.answer()
    await _send_comparison(
        message, l10n, context, press.user.id, (data.round_id, data.later), group, None
    )


async def _send_comparison(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    numbers: tuple[int, int],
    group: WorkingGroup | None,
    fmt: str | None,
) -> None:
    """The comparison of two rounds: a CSV or XLSX file, or its picture and its text."""
    assessments = context.services.assessments
    try:
        comparison = await assessments.comparison(
            user_id, numbers[0], numbers[1], context.services.catalog, group.id if group else None
        )
    except NotAllowed:
        await message.reply_text(escape(_results_not_yet(l10n)))
        return
    changes = comparison.changes
    names = [r.name if (r := await assessments.round(n)) else str(n) for n in numbers]
    if changes and fmt is not None:
        data = compare_rows(l10n, context.services.catalog, changes, overall_label)
        await message.reply_document(
            InputFile(
                await asyncio.to_thread(table, data, fmt),
                filename=f"compare-{numbers[0]}-{numbers[1]}.{fmt}",
            ),
            caption=escape(f"«{names[0]}» → «{names[1]}»"),
            do_quote=False,
        )
        return
    picture = await asyncio.to_thread(partial(_comparison_picture, l10n, comparison, names, group))
    await message.reply_photo(
        picture, caption=escape(f"«{names[0]}» → «{names[1]}»"), do_quote=False
    )
    lines = [f"<b>{escape(line)}</b>" for line in _comparison_summary(l10n, comparison)]
    if fmt is not None:  # a file was asked for: the table of changes would be empty
        lines.append(
            escape(l10n.gettext("No file: it lists the changes of colour, and there are none."))
        )
    if group is not None:  # whose colours these are
        lines.insert(0, "<b>" + escape(group.name(l10n.language)) + "</b>")
    for theme, found in changes_by_theme(context.services.catalog, changes):
        lines += ["", "<b>" + escape(theme.name(l10n.language)) + "</b>"]
        lines += [
            escape(
                f"{'⬆' if moved > 0 else '⬇'} {rec.number}: {a.emoji} → {b.emoji} "
                f"— {short_text(l10n, rec)}"
            )
            for rec, a, b, moved in found
        ]
    for chunk in render.split_messages(["\n".join(lines)]):
        await message.reply_text(chunk)


def _comparison_summary(l10n: Localizer, comparison: Comparison) -> list[str]:
    """How many progressed, regressed and stayed; how many could not be compared and why."""
    up, down = comparison.up, comparison.down
    lines = [
        " · ".join(
            [
                "⬆ "
                + l10n.ngettext("{count} progressed", "{count} progressed", up).format(
                    count=l10n.number(up)
                ),
                "⬇ "
                + l10n.ngettext("{count} regressed", "{count} regressed", down).format(
                    count=l10n.number(down)
                ),
                "= "
                + l10n.ngettext("{count} stayed", "{count} stayed", comparison.stayed).format(
                    count=l10n.number(comparison.stayed)
                ),
            ]
        )
        if comparison.changes
        else l10n.gettext("No recommendation changed colour between these rounds.")
    ]
    if apart := comparison.not_comparable:  # only the parts that are not zero
        parts = []
        if absent := comparison.not_in_both:
            parts.append(
                l10n.ngettext(
                    "{count} in only one of the rounds",
                    "{count} in only one of the rounds",
                    absent,
                ).format(count=l10n.number(absent))
            )
        if unrated := comparison.unrated:
            parts.append(
                l10n.ngettext(
                    "{count} without a colour in one round (not enough ratings or contested)",
                    "{count} without a colour in one round (not enough ratings or contested)",
                    unrated,
                ).format(count=l10n.number(unrated))
            )
        lines.append(
            l10n.ngettext(
                "{count} not comparable: {parts}.", "{count} not comparable: {parts}.", apart
            ).format(count=l10n.number(apart), parts=" · ".join(parts))
        )
    return lines


def _comparison_picture(
    l10n: Localizer, comparison: Comparison, names: list[str], group: WorkingGroup | None
) -> bytes:
    """Before and after as bars of colours (over the recommendations in both rounds), then a
    bar of what moved up, stayed, moved down or could not be compared."""
    moves = [
        (l10n.gettext("Moved up"), charts.UP_RGB, comparison.up),
        (l10n.gettext("Stayed"), charts.STAYED_RGB, comparison.stayed),
        (l10n.gettext("Moved down"), charts.DOWN_RGB, comparison.down),
        (
            l10n.gettext("Not comparable"),
            charts.NOT_COMPARABLE_RGB,
            comparison.not_comparable,
        ),
    ]
    blank = (0,) * len(moves)
    categories = _colour_categories(l10n) + [charts.Category(n, rgb) for n, rgb, _ in moves]
    bars = [
        charts.Bar(names[0], _colour_bar("", comparison.before).counts + blank),
        charts.Bar(names[1], _colour_bar("", comparison.after).counts + blank),
        charts.Bar(
            l10n.gettext("Change"),
            (0,) * len(SUMMARY_ORDER) + tuple(count for _, _, count in moves),
        ),
    ]
    title = f"«{names[0]}» → «{names[1]}»"  # the rounds' own names, no words of ours
    if group is not None:
        title = f"{title} · {group.name(l10n.language)}"
    return charts.bar_chart(
        title,
        categories,
        bars,
        subtitle=l10n.gettext("The first two bars count the recommendations in both rounds."),
        number=l10n.number,
    )


def _round_argument(message: Message) -> int | None:
    """The first whole number after the command: /results 2, /export 2 xlsx."""
    return next(iter(read(message.text or "").numbers), None)
