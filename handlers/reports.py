"""Loading a cycle from the UN Working Group report: a coordinator sends the PDF privately, sees
a preview and taps [Import]; /responses sets responses given later; /cycles makes a cycle current."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain.i18n import Localizer
from bot.domain.model import Response
from bot.domain.report_pdf import NotAReport, ReportRecommendation
from bot.domain.reports import MAX_CYCLE, BadResponses, Preview, looks_like_responses
from bot.pdf_text import UnreadablePdf
from handlers import browse
from handlers.access import Press
from handlers.callbacks import CurrentCycle, ReportCycle, ReportDraft
from handlers.common import BotContext, not_allowed, reader
from handlers.lookup import edit
from handlers.render import escape, split_messages

MAX_PDF = 10 * 1024 * 1024  # bytes: a Working Group report is well under 1 MB
SHOWN_CHANGED = 10  # changed numbers named in a preview
SHOWN = 3  # the first and last few recommendations in a preview
TEXT_SHOWN = 90
SHOWN_PARAGRAPHS = 12  # the preview stays one message whatever the PDF holds


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


RESPONSE_COUNTS = {
    Response.ACCEPTED: N_("{count} accepted"),
    Response.NOTED: N_("{count} noted"),
    Response.REJECTED: N_("{count} rejected"),
    Response.PENDING: N_("{count} pending"),
}


async def on_pdf(update: Update, context: BotContext) -> None:
    """A PDF sent privately: a coordinator's Working Group report, read and previewed."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    l10n = await reader(update, context)
    services = context.services
    if not await services.is_coordinator(user.id):
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Only coordinators can load recommendations from a report. To look one up, "
                    "send its number, e.g. 118.6."
                )
            )
        )
        return
    if (message.document.file_size or 0) > MAX_PDF:
        text = l10n.gettext("This file is too large (at most {size} MB).").format(size=10)
        await message.reply_text(escape(text))
        return
    await message.reply_text(escape(l10n.gettext("Reading the report… this takes a few seconds.")))
    data = await (await message.document.get_file()).download_as_bytearray()
    try:
        preview = await services.reports.preview(user.id, bytes(data))
    except UnreadablePdf as exc:
        reason = l10n.message(exc.message, exc.params)
        text = l10n.gettext("I could not read this PDF: {reason}").format(reason=reason)
        await message.reply_text(escape(text))
        return
    except NotAReport as exc:
        text = l10n.gettext(
            "This PDF does not look like a UPR Working Group report: {reason}"
        ).format(reason=l10n.gettext(str(exc)))
        await message.reply_text(escape(text))
        return
    text, markup = preview_message(l10n, preview)
    await message.reply_text(text, reply_markup=markup)


def preview_message(l10n: Localizer, preview: Preview) -> tuple[str, InlineKeyboardMarkup]:
    """The preview: cycle, counts, paragraphs, first and last three, doubts, and buttons."""
    report = preview.report
    recs = report.recommendations
    head = l10n.gettext("Working Group report {symbol} ({state}).").format(
        symbol=report.symbol or "?", state=report.state or "?"
    )
    counts: dict[Response, int] = {}
    for rec in recs:
        counts[rec.response] = counts.get(rec.response, 0) + 1
    responses = ", ".join(
        l10n.gettext(RESPONSE_COUNTS[r]).format(count=l10n.number(c)) for r, c in counts.items()
    )
    if preview.cycle is None:
        summary = l10n.ngettext(
            "{count} recommendation ({responses}) from {states} States.",
            "{count} recommendations ({responses}) from {states} States.",
            len(recs),
        ).format(
            count=l10n.number(len(recs)),
            responses=responses,
            states=l10n.number(len(report.states)),
        )
    else:
        summary = l10n.ngettext(
            "Cycle {cycle}: {count} recommendation ({responses}) from {states} States.",
            "Cycle {cycle}: {count} recommendations ({responses}) from {states} States.",
            len(recs),
        ).format(
            cycle=l10n.number(preview.cycle),
            count=l10n.number(len(recs)),
            responses=responses,
            states=l10n.number(len(report.states)),
        )
    lines = [escape(head), "<b>" + escape(summary) + "</b>", ""]
    for para in report.paragraphs[:SHOWN_PARAGRAPHS]:
        lines.append(
            escape(
                "• "
                + l10n.gettext("paragraph {number}: {responses}").format(
                    number=para.number,
                    responses=l10n.gettext(RESPONSE_COUNTS[para.response]).format(
                        count=l10n.number(para.count)
                    ),
                )
            )
        )
    if len(report.paragraphs) > SHOWN_PARAGRAPHS:
        lines.append("• …")
    lines += ["", escape(l10n.gettext("First:"))]
    lines += [escape(_line(rec)) for rec in recs[:SHOWN]]
    lines += [escape(l10n.gettext("Last:"))]
    lines += [escape(_line(rec)) for rec in recs[-SHOWN:]]
    if preview.cycle is not None:
        lines += [
            "",
            escape(
                l10n.gettext(
                    "Compared with the bot: {new} new, {changed} changed, {unchanged} unchanged."
                ).format(
                    new=l10n.number(preview.new),
                    changed=l10n.number(preview.changed),
                    unchanged=l10n.number(preview.unchanged),
                )
            ),
        ]
        if preview.changed_numbers:
            shown = ", ".join(preview.changed_numbers[:SHOWN_CHANGED])
            more = len(preview.changed_numbers) - SHOWN_CHANGED
            if more > 0:
                shown = l10n.gettext("{numbers} and {count} more").format(
                    numbers=shown, count=l10n.number(more)
                )
            lines.append(escape(l10n.gettext("Changed: {numbers}").format(numbers=shown)))
        if preview.kept_responses:
            lines.append(
                escape(
                    l10n.ngettext(
                        "{count} response already in the bot is kept (the report's differs).",
                        "{count} responses already in the bot are kept (the report's differ).",
                        preview.kept_responses,
                    ).format(count=l10n.number(preview.kept_responses))
                )
            )
    if preview.doubts:
        lines += ["", "⚠️ " + escape(l10n.gettext("Please check:"))]
        lines += [escape("• " + l10n.message(d.message, d.params)) for d in preview.doubts[:10]]
    cancel = InlineKeyboardButton(
        "✖️ " + l10n.gettext("Cancel"),
        callback_data=ReportDraft(draft=preview.draft, go=False).pack(),
    )
    if preview.cycle is None:
        lines += ["", escape(l10n.gettext("Which cycle is this report? The report does not say."))]
        choices = [
            InlineKeyboardButton(
                l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(n)),
                callback_data=ReportCycle(draft=preview.draft, cycle=n).pack(),
            )
            for n in range(1, MAX_CYCLE + 1)
        ]
        rows = [choices[:5], choices[5:], [cancel]]
        return "\n".join(lines), InlineKeyboardMarkup(rows)
    go = InlineKeyboardButton(
        "✅ " + l10n.gettext("Import"),
        callback_data=ReportDraft(draft=preview.draft, go=True).pack(),
    )
    return "\n".join(lines), InlineKeyboardMarkup([[go, cancel]])


def _line(rec: ReportRecommendation) -> str:
    text = rec.text if len(rec.text) <= TEXT_SHOWN else rec.text[: TEXT_SHOWN - 1] + "…"
    return f"{rec.number} {text} ({', '.join(rec.states)})"


async def on_draft_button(press: Press[ReportDraft], context: BotContext) -> None:
    """rp:<draft>:<1|0>: import the previewed report, or forget it (coordinators only)."""
    query, l10n, reports = press.query, press.l10n, context.services.reports
    if not press.data.go:
        await reports.cancel(press.user.id, press.data.draft)
        await query.answer()
        await edit(press.message, escape(l10n.gettext("Cancelled: nothing was imported.")), None)
        return
    imported = await reports.import_draft(press.user.id, press.data.draft)
    if imported is None:
        await query.answer(
            l10n.gettext(
                "This preview was already imported, cancelled or has expired: send the PDF again."
            ),
            show_alert=True,
        )
        return
    await query.answer()
    stored = imported.report
    text = l10n.gettext(
        "Imported cycle {cycle}: {added} added, {updated} updated, {unchanged} unchanged. "
        "Members can look them up now."
    ).format(
        cycle=l10n.number(imported.cycle),
        added=l10n.number(stored.added),
        updated=l10n.number(stored.updated),
        unchanged=l10n.number(stored.unchanged),
    )
    markup = None
    current = context.services.catalog.current_cycle
    if current != imported.cycle:
        if current is not None:
            still = l10n.gettext("A number without a cycle still means cycle {cycle}.")
            text += "\n" + still.format(cycle=l10n.number(current))
        markup = current_cycle_markup(l10n, imported.cycle)
    await edit(press.message, escape(text), markup)


async def on_cycle_button(press: Press[ReportCycle], context: BotContext) -> None:
    """rpc:<draft>:<cycle>: the cycle a coordinator says the report is."""
    l10n = press.l10n
    preview = await context.services.reports.choose_cycle(
        press.user.id, press.data.draft, press.data.cycle
    )
    if preview is None:
        await press.query.answer(
            l10n.gettext(
                "This preview was already imported, cancelled or has expired: send the PDF again."
            ),
            show_alert=True,
        )
        return
    await press.query.answer()
    text, markup = preview_message(l10n, preview)
    await edit(press.message, text, markup)


def current_cycle_markup(l10n: Localizer, cycle: int) -> InlineKeyboardMarkup:
    """[Make cycle N current]."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    l10n.gettext("Make cycle {cycle} current").format(cycle=l10n.number(cycle)),
                    callback_data=CurrentCycle(cycle=cycle).pack(),
                )
            ]
        ]
    )


async def on_current_cycle(press: Press[CurrentCycle], context: BotContext) -> None:
    """cc:<cycle>: a number without a cycle now means this cycle (coordinators only)."""
    l10n, cycle = press.l10n, press.data.cycle
    if not await context.services.reports.set_current_cycle(press.user.id, cycle):
        await press.query.answer(
            l10n.gettext("Cycle {cycle} has no recommendations yet.").format(
                cycle=l10n.number(cycle)
            ),
            show_alert=True,
        )
        return
    text = l10n.gettext(
        "Cycle {cycle} is now the current cycle: a number without a cycle means cycle {cycle}."
    ).format(cycle=l10n.number(cycle))
    await press.query.answer(text)
    # The /cycles message itself is redrawn: what a number alone means, the other button.
    await edit(press.message, *browse.cycles_view(l10n, context, coordinator=True))


async def responses(update: Update, context: BotContext) -> None:
    """/responses c2 accepted: 118.1-118.171; noted: 119.1-119.34 (coordinators)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    l10n = await reader(update, context)
    if not await context.services.is_coordinator(user.id):
        await message.reply_text(escape(not_allowed(l10n)))
        return
    text = (message.text or "").partition(" ")[2].strip()
    if not text:
        await message.reply_text(escape(_usage(l10n)))
        return
    try:
        done = await context.services.reports.set_responses(user.id, text)
    except BadResponses as exc:
        reason = l10n.message(exc.message, exc.params)
        await message.reply_text(escape(reason + "\n\n" + _usage(l10n)))
        return
    summary = ", ".join(
        l10n.gettext(RESPONSE_COUNTS[r]).format(count=l10n.number(c))
        for r, c in done.counts.items()
    )
    reply = l10n.gettext(
        "Responses stored for cycle {cycle}: {responses} ({changed} changed)."
    ).format(cycle=l10n.number(done.cycle), responses=summary, changed=l10n.number(done.changed))
    for chunk in split_messages([escape(reply)]):
        await message.reply_text(chunk)


async def pasted_responses(update: Update, context: BotContext) -> bool:
    """A coordinator's private message shaped like a list of responses, sent without
    /responses: answered with how to store it (never searched); True when it was one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not looks_like_responses(message.text or ""):
        return False
    services = context.services
    if not await services.is_coordinator(user.id):
        return False
    if await services.broadcasts.pending_input(user.id) is not None:
        return False  # the broadcast being composed takes it
    l10n = await reader(update, context)
    text = l10n.gettext(
        "This looks like a list of responses. To store them, send it after /responses:"
    )
    command = "/responses " + " ".join((message.text or "").split())
    reply = escape(text) + "\n<code>" + escape(command[:3500]) + "</code>\n\n"
    await message.reply_text(reply + escape(_usage(l10n)))
    return True


def _usage(l10n: Localizer) -> str:
    return l10n.gettext(
        "Set the responses a State gave later: /responses c2 accepted: 118.1-118.171, 118.180; "
        "noted: 119.1-119.34 (also: rejected, pending; Khmer words and digits work). All or "
        "nothing: a number not in the cycle changes nothing."
    )
