"""Translating the recommendations in chat: /translators, /translate (drafts and reviews),
/translations (coverage and exports). Each action is one call to `services.translating`."""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update, User

from bot.domain.access import Refusal
from bot.domain.arguments import whole_number
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.model import TranslationStatus
from bot.domain.outbox import Button, Content, Job, Outgoing
from bot.domain.services import ImportOutcome
from bot.domain.spreadsheet import minute, table
from bot.domain.text import truncate
from bot.domain.translations import (
    MAX_CHARS,
    PROMPT_TTL,
    Coverage,
    ExportRow,
    Offer,
    Problem,
    Purpose,
    Saved,
    Task,
)
from handlers.access import Press, refusal_text
from handlers.callbacks import (
    TranslateAction,
    TranslateStep,
    TranslationsFile,
    TranslatorButton,
    TranslatorPage,
)
from handlers.commands import N_, sync_menus
from handlers.common import BotContext, answering_not_allowed, name_of, reader
from handlers.lookup import edit
from handlers.render import cycle_name, escape, page_of, paged_buttons, turn_row

PROMPT_MINUTES = int(PROMPT_TTL.total_seconds()) // 60

_PROBLEMS = {
    Problem.EMPTY: N_("That message is empty: nothing was saved. Send the Khmer text."),
    Problem.NO_KHMER: N_(
        "That has no Khmer letters: nothing was saved. Send the Khmer translation of the "
        "recommendation, or tap ⏭ Skip or ✖ Stop (to look something up, tap ✖ Stop first)."
    ),
    Problem.NOT_KHMER: N_(
        "That is mostly signs or letters of another script, not Khmer text: nothing was saved. "
        "Send the Khmer translation of the recommendation."
    ),
    Problem.MOSTLY_ENGLISH: N_(
        "That looks like the English text, not a Khmer translation: nothing was saved. Send "
        "the Khmer text (names and numbers may stay in Latin letters)."
    ),
    Problem.TOO_LONG: N_(
        "That is too long: at most {limit} characters. Nothing was saved; send a shorter text."
    ),
    Problem.MARKUP: N_("Please send plain text, without HTML tags: nothing was saved."),
    Problem.TOO_SHORT: N_(
        "That is far shorter than the English text, so it cannot be its whole translation: "
        "nothing was saved. Send the whole recommendation in Khmer. To search for a word "
        "instead, tap ✖ Stop first, then send the word."
    ),
    Problem.OWN_DRAFT: N_(
        "You wrote this draft: another translator or a coordinator reviews it. Nothing was "
        "changed."
    ),
    Problem.NOT_A_DRAFT: N_(
        "This is no longer a draft waiting for review (someone reviewed or changed it): "
        "nothing was changed. Send /translate for the next one."
    ),
    Problem.GONE: N_("This recommendation no longer exists: nothing was saved."),
}


def problem_text(l10n: Localizer, problem: Problem) -> str:
    """Why a text or a review was not saved, in the reader's language."""
    return l10n.gettext(_PROBLEMS[problem]).format(limit=l10n.number(MAX_CHARS))


def _button(label: str, action: TranslateAction, rec: int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=TranslateStep(action, rec).pack())


def _stop_markup(l10n: Localizer) -> InlineKeyboardMarkup:
    """[✖ Stop] alone: under a message that waits for a text (a reply to it is that text)."""
    return InlineKeyboardMarkup([[_button("✖ " + l10n.gettext("Stop"), TranslateAction.STOP)]])


def _heading(l10n: Localizer, context: BotContext, rec_id: int) -> tuple[str, str]:
    """'118.6 · Cycle 2' and the English text of a recommendation ('' if it is gone)."""
    rec = context.services.catalog.by_id.get(rec_id)
    if rec is None:
        return "?", ""
    catalog = context.services.catalog
    states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
    themes = l10n.listing(t.name(l10n.language) for t in catalog.themes_of(rec))
    head = f"<b>{escape(str(rec.number))}</b> · {escape(cycle_name(l10n, rec.cycle))}"
    details = " · ".join(escape(truncate(x, 120)) for x in (states, themes) if x)
    return head + (f"\n<i>{details}</i>" if details else ""), rec.text_en


def _task_text(l10n: Localizer, context: BotContext, task: Task) -> str:
    head, english = _heading(l10n, context, task.recommendation_id)
    lines: list[str] = []
    if task.purpose is Purpose.TRANSLATE:
        lines += ["✍ " + escape(l10n.gettext("Translate into Khmer:")) + " " + head, ""]
        lines += [escape(english)]
    else:
        lines += ["🔎 " + escape(l10n.gettext("Review a Khmer draft:")) + " " + head, ""]
        lines += [escape(english), ""]
        if task.draft is not None:
            by = task.draft.translator or "?"
            lines.append(
                "<b>" + escape(l10n.gettext("Khmer draft by {name}:").format(name=by)) + "</b>"
            )
            lines.append(escape(task.draft.text_km))
    if task.terms:
        lines += ["", escape(l10n.gettext("Glossary terms in this text:"))]
        lines += [f"• {escape(en)} → {escape(km)}" for en, km in task.terms]
    lines.append("")
    if task.purpose is Purpose.TRANSLATE:
        lines.append(
            escape(
                l10n.gettext(
                    "Send the Khmer text as your next message (within {minutes} minutes). It is "
                    "saved as a draft; another translator or a coordinator then reviews it."
                ).format(minutes=l10n.number(PROMPT_MINUTES))
            )
        )
    else:
        lines.append(
            escape(
                l10n.gettext(
                    "✅ Approve if it is right; ✏️ to send a corrected text (it is then reviewed)."
                )
            )
        )
    return "\n".join(lines)


def _task_markup(l10n: Localizer, offer: Offer) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    task = offer.task
    if task is not None and task.purpose is Purpose.REVIEW:
        rec = task.recommendation_id
        rows.append(
            [
                _button("✅ " + l10n.gettext("Approve"), TranslateAction.APPROVE, rec),
                _button("✏️ " + l10n.gettext("Edit and approve"), TranslateAction.EDIT, rec),
            ]
        )
    bottom: list[InlineKeyboardButton] = []
    if task is not None:
        bottom.append(
            _button("⏭ " + l10n.gettext("Skip"), TranslateAction.SKIP, task.recommendation_id)
        )
    bottom += _stop_markup(l10n).inline_keyboard[0]
    rows.append(bottom)
    if task is None or task.purpose is Purpose.TRANSLATE:
        if offer.reviews_waiting:
            label = l10n.ngettext(
                "🔎 Review {count} draft", "🔎 Review {count} drafts", offer.reviews_waiting
            ).format(count=l10n.number(offer.reviews_waiting))
            rows.append([_button(label, TranslateAction.REVIEW)])
    else:
        rows.append([_button("✍ " + l10n.gettext("Translate instead"), TranslateAction.TRANSLATE)])
    return InlineKeyboardMarkup(rows)


def _offer_text(l10n: Localizer, context: BotContext, offer: Offer, purpose: Purpose) -> str:
    if offer.task is not None:
        return _task_text(l10n, context, offer.task)
    if purpose is Purpose.REVIEW:
        return escape(l10n.gettext("No drafts wait for your review. Thank you!"))
    text = l10n.gettext(
        "Every recommendation has a Khmer text (or you skipped the rest for today). Thank you!"
    )
    if offer.reviews_waiting:
        text += " " + l10n.ngettext(
            "{count} draft waits for your review.",
            "{count} drafts wait for your review.",
            offer.reviews_waiting,
        ).format(count=l10n.number(offer.reviews_waiting))
    return escape(text)


@answering_not_allowed
async def translate(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/translate: the next recommendation to translate, with its glossary terms."""
    offer = await context.services.translating.offer(user.id)
    left = await _left_guide(l10n, context, user.id, offer.task is not None)
    await message.reply_text(
        _offer_text(l10n, context, offer, Purpose.TRANSLATE) + left,
        reply_markup=_task_markup(l10n, offer),
    )


async def _left_guide(l10n: Localizer, context: BotContext, user_id: int, waits: bool) -> str:
    """When /translate now waits for this person's text, it is the newest prompt: a round
    being opened through buttons that waits for a typed date or name is cancelled, a broadcast
    being written, a rating's reason and a new action's typed step stop waiting for a plain
    message. The notes
    saying so, or ""."""
    if not waits:
        return ""
    services = context.services
    notes = []
    if await services.assessments.leave_guide(user_id):
        notes.append(
            l10n.gettext(
                "The round you were opening with /openround was cancelled: send /openround "
                "to start again."
            )
        )
    if await services.broadcasts.stop_waiting(user_id):
        notes.append(
            l10n.gettext(
                "The broadcast you were writing no longer waits for your message: send "
                "/broadcast to go on with it."
            )
        )
    if await services.assessments.stop_waiting(user_id):
        notes.append(
            l10n.gettext(
                "The reason you were asked for no longer takes your next message: to give it, "
                "reply to its question."
            )
        )
    if await services.strategies.stop_waiting(user_id, user_id):
        notes.append(
            l10n.gettext(
                "The new action no longer takes your next message: reply to its question to "
                "answer it."
            )
        )
    return "".join("\n\n<i>" + escape(note) + "</i>" for note in notes)


async def on_step(press: Press[TranslateStep], context: BotContext) -> None:
    """⏭ ✖ 🔎 ✍ ✅ ✏️ under /translate's message."""
    translating = context.services.translating
    l10n, user, data = press.l10n, press.user, press.data
    try:
        await _step(press, context, l10n, user, data)
    except NotAllowed:
        await translating.stop(user.id)
        await press.query.answer(refusal_text(l10n, Refusal.TRANSLATORS_ONLY), show_alert=True)


async def _step(
    press: Press[TranslateStep],
    context: BotContext,
    l10n: Localizer,
    user: User,
    data: TranslateStep,
) -> None:
    translating = context.services.translating
    action = data.action
    if action is TranslateAction.STOP and _carries(press.message, TranslateAction.NEXT):
        # Under a saved draft nothing waits: the confirmation stays, its buttons go.
        await translating.stop(user.id)
        await press.query.answer()
        await press.message.edit_reply_markup(None)
        return
    if action is TranslateAction.NEXT:
        offer = await translating.offer(user.id, Purpose.TRANSLATE)
        left = await _left_guide(l10n, context, user.id, offer.task is not None)
        await press.query.answer()
        await press.message.edit_reply_markup(None)
        await press.message.reply_text(
            _offer_text(l10n, context, offer, Purpose.TRANSLATE) + left,
            reply_markup=_task_markup(l10n, offer),
            do_quote=False,
        )
        return
    if action is TranslateAction.STOP:
        await translating.stop(user.id)
        await press.query.answer()
        await edit(
            press.message,
            escape(l10n.gettext("Stopped: nothing is waiting for your text. /translate goes on.")),
            None,
        )
        return
    if action in (TranslateAction.APPROVE, TranslateAction.EDIT) and data.rec is not None:
        if action is TranslateAction.APPROVE:
            saved = await translating.approve(user.id, name_of(user), data.rec)
        else:
            saved = await translating.edit(user.id, data.rec)
        if saved.problem is not None:
            await press.query.answer(problem_text(l10n, saved.problem), show_alert=True)
            return
        await press.query.answer()
        if action is TranslateAction.EDIT:
            await press.message.reply_text(
                escape(
                    l10n.gettext(
                        "Send the corrected Khmer text as your next message: it replaces the "
                        "draft and is marked reviewed."
                    )
                )
                + await _left_guide(l10n, context, user.id, True),
                reply_markup=_stop_markup(l10n),
            )
            return
        await press.message.edit_reply_markup(None)
        await _after_saving(press.message, l10n, context, user, saved)
        return
    purpose = (
        Purpose.REVIEW
        if action is TranslateAction.REVIEW
        or (action is TranslateAction.SKIP and await _reviewing(press.message, data))
        else Purpose.TRANSLATE
    )
    if action is TranslateAction.SKIP and data.rec is not None:
        offer = await translating.skip(user.id, data.rec, purpose)
    else:
        offer = await translating.offer(user.id, purpose)
    waits = purpose is Purpose.TRANSLATE and offer.task is not None
    left = await _left_guide(l10n, context, user.id, waits)
    await press.query.answer()
    await edit(
        press.message, _offer_text(l10n, context, offer, purpose) + left, _task_markup(l10n, offer)
    )


async def _reviewing(message: Message, data: TranslateStep) -> bool:
    """Whether ⏭ was pressed under a draft to review (it carries ✅ for the same text)."""
    return _carries(message, TranslateAction.APPROVE, data.rec)


def _carries(message: Message, action: TranslateAction, rec: int | None = None) -> bool:
    """Whether the message carries this button."""
    markup = message.reply_markup
    packed = TranslateStep(action, rec).pack()
    return markup is not None and any(
        b.callback_data == packed for row in markup.inline_keyboard for b in row
    )


def _next_markup(l10n: Localizer) -> InlineKeyboardMarkup:
    """Under a saved draft: go on to the next recommendation, or stop."""
    return InlineKeyboardMarkup(
        [
            [
                _button("✍ " + l10n.gettext("Next recommendation"), TranslateAction.NEXT),
                _button("✖ " + l10n.gettext("Stop"), TranslateAction.STOP),
            ]
        ]
    )


async def _after_saving(
    message: Message, l10n: Localizer, context: BotContext, user: User, saved: Saved
) -> None:
    """Say what was saved. After a review, the next draft to review (it waits for a button);
    after a draft, buttons for the next one: nothing waits for a text, so the translator's next
    message (a search, say) never becomes another recommendation's draft by mistake."""
    rec = context.services.catalog.by_id.get(saved.recommendation_id or 0)
    number = str(rec.number) if rec else "?"
    cycle = rec.cycle if rec else 0
    if saved.status is not TranslationStatus.REVIEWED:
        done = l10n.gettext(
            "Saved as a draft of {number} (cycle {cycle}): it can be found by its Khmer words "
            "now, and cards mark it as a draft until it is reviewed. Thank you! Your next "
            "message is a search again: tap ✍ Next recommendation to go on translating."
        )
        await message.reply_text(
            escape(done.format(number=number, cycle=l10n.number(cycle))),
            reply_markup=_next_markup(l10n),
        )
        return
    done = l10n.gettext(
        "{number} (cycle {cycle}) is reviewed: cards show its Khmer text without the draft mark."
    )
    await message.reply_text(escape(done.format(number=number, cycle=l10n.number(cycle))))
    offer = await context.services.translating.offer(user.id, Purpose.REVIEW)
    await message.reply_text(
        _offer_text(l10n, context, offer, Purpose.REVIEW), reply_markup=_task_markup(l10n, offer)
    )


async def take_text(update: Update, context: BotContext) -> bool:
    """A private message while /translate waits for a text: the draft (or a reviewer's
    corrected text). False when nothing waits for it (then it is whatever else it is)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return False
    reply = message.reply_to_message
    if reply is not None and not _from_translate(reply, user):
        return False  # it answers another of the bot's prompts (a rating's reason, a date…)
    translating = context.services.translating
    if await translating.asked(user.id) is None:
        return False
    l10n = await reader(update, context)
    try:
        saved = await translating.submit(user.id, name_of(user), message.text)
    except NotAllowed:  # no longer a translator: the message is what it would be otherwise
        await translating.stop(user.id)
        return False
    if saved is None:
        return False
    if saved.problem in _NOT_A_TRANSLATION:
        return False  # plainly no Khmer text: another prompt's answer, or a look-up
    if saved.problem is not None:
        await message.reply_text(
            escape(problem_text(l10n, saved.problem)), reply_markup=_stop_markup(l10n)
        )
        return True
    await _after_saving(message, l10n, context, user, saved)
    return True


_NOT_A_TRANSLATION = frozenset({Problem.EMPTY, Problem.NO_KHMER})


def _from_translate(reply: Message, user: User) -> bool:
    """Whether a replied-to message is the person's own or one of /translate's (it carries
    a /translate button): only a reply to those is the text /translate waits for."""
    if reply.from_user is not None and reply.from_user.id == user.id:
        return True
    markup = reply.reply_markup
    return markup is not None and any(
        str(b.callback_data or "").startswith(TranslateStep.prefix + ":")
        for row in markup.inline_keyboard
        for b in row
    )


def _bar(part: int, whole: int, width: int = 10) -> str:
    filled = round(width * part / whole) if whole else 0
    return "▓" * filled + "░" * (width - filled)


def coverage_text(l10n: Localizer, coverage: Coverage) -> str:
    """/translations: per cycle a bar and the counts, then who worked this week."""
    lines = ["<b>" + escape(l10n.gettext("Khmer translations of the recommendations")) + "</b>"]
    for c in coverage.cycles:
        done = c.reviewed + c.drafts
        percent = round(100 * done / c.total) if c.total else 0
        lines.append(
            escape(
                l10n.gettext(
                    "{cycle}: {bar} {percent} % — reviewed {reviewed} · drafts {drafts} · none "
                    "{missing} (of {total})"
                ).format(
                    cycle=cycle_name(l10n, c.cycle),
                    bar=_bar(done, c.total),
                    percent=l10n.number(percent),
                    reviewed=l10n.number(c.reviewed),
                    drafts=l10n.number(c.drafts),
                    missing=l10n.number(c.missing),
                    total=l10n.number(c.total),
                )
            )
        )
    lines.append("")
    if coverage.workers:
        lines.append(escape(l10n.gettext("This week:")))
        for worker in coverage.workers[:15]:
            lines.append(
                escape(
                    l10n.gettext("• {name}: {drafts}, {reviews}").format(
                        name=worker.name,
                        drafts=l10n.ngettext(
                            "{count} draft", "{count} drafts", worker.drafts
                        ).format(count=l10n.number(worker.drafts)),
                        reviews=l10n.ngettext(
                            "{count} review", "{count} reviews", worker.reviews
                        ).format(count=l10n.number(worker.reviews)),
                    )
                )
            )
    else:
        lines.append(escape(l10n.gettext("Nobody translated or reviewed this week.")))
    lines.append(
        escape(
            l10n.ngettext(
                "{count} translator appointed (coordinators translate too).",
                "{count} translators appointed (coordinators translate too).",
                coverage.translators,
            ).format(count=l10n.number(coverage.translators))
        )
    )
    lines += [
        "",
        escape(
            l10n.gettext(
                "The files list every recommendation with its English and Khmer texts, status, "
                "translator, reviewer and dates. To work offline, fill in text_km and give the "
                "file back to a coordinator, who sends it to me in a private chat: "
                "rows that did not change are left as they are."
            )
        ),
    ]
    return "\n".join(lines)


@answering_not_allowed
async def translations(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/translations: coverage per cycle, who is working, export buttons."""
    coverage = await context.services.translating.coverage(user.id)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("CSV", callback_data=TranslationsFile(False).pack()),
                InlineKeyboardButton("XLSX", callback_data=TranslationsFile(True).pack()),
            ],
            [_button("✍ " + l10n.gettext("Translate"), TranslateAction.TRANSLATE)],
        ]
    )
    await message.reply_text(coverage_text(l10n, coverage), reply_markup=markup)


EXPORT_HEADER = (
    "cycle",
    "number",
    "text_en",
    "text_km",
    "status",
    "translator",
    "reviewer",
    "translated_at",
    "reviewed_at",
)


def export_table(rows: list[ExportRow], tz: dt.tzinfo) -> list[list[str | int]]:
    """The export's rows, header first: what the import reads back unchanged; dates in the
    coalition's time zone, to the minute."""
    out: list[list[str | int]] = [list(EXPORT_HEADER)]
    for row in rows:
        s = row.stored
        out.append(
            [
                row.cycle,
                str(row.number),
                row.text_en,
                s.text_km if s else "",
                s.status.value if s else "",
                s.translator if s else "",
                s.reviewer if s else "",
                minute(s.translated_at, tz) if s else "",
                minute(s.reviewed_at, tz) if s else "",
            ]
        )
    return out


async def on_file(press: Press[TranslationsFile], context: BotContext) -> None:
    """CSV or XLSX under /translations."""
    try:
        rows = await context.services.translating.export(press.user.id)
    except NotAllowed:
        await press.query.answer(
            refusal_text(press.l10n, Refusal.TRANSLATORS_ONLY), show_alert=True
        )
        return
    await press.query.answer()
    fmt = "xlsx" if press.data.xlsx else "csv"
    data = export_table(list(rows), context.services.settings.timezone)
    content = await asyncio.to_thread(partial(table, data, fmt, sheet="km"))
    await press.message.reply_document(
        InputFile(content, filename=f"translations-km.{fmt}"),
        caption=escape(press.l10n.gettext("Khmer translations, with their provenance")),
        do_quote=False,
    )


async def _tell_appointed(
    context: BotContext, target: int, appointed: bool, telegram_code: str | None = None
) -> None:
    """Through the outbox, in their language: the person is now (or no longer) a translator.
    Someone the bot has not met yet gets their Telegram's language when appointed by a reply,
    else Khmer (a translator into Khmer reads it)."""
    services = context.services
    language = await services.known_language(target) or services.translations.pick(
        telegram_code or "km"
    )
    l10n = services.translations.localizer(language)
    if appointed:
        text = l10n.gettext(
            "You are now a translator of the coalition's recommendations into Khmer: send "
            "/translate to start (or tap ✍ Translate). /translations shows how far the work is."
        )
        label = "✍ " + l10n.gettext("Translate")
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(label, TranslateStep(TranslateAction.NEXT).pack()),),
        )
    else:
        text = l10n.gettext("You are no longer a translator. Thank you for your work!")
        buttons = ()
    await services.outbox.send(
        Outgoing(
            target,
            Content(escape(text), buttons=buttons),
            Job.NOTICE,
            language=l10n.language,
            reference="notice",
        )
    )


TRANSLATORS_PER_PAGE = 20


def _translators_view(
    l10n: Localizer, people: list[tuple[int, str]], page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The translators, twenty a page (◀ ▶), each with ✖; ➕ to appoint one."""
    shown, page, pages = page_of(people, page, TRANSLATORS_PER_PAGE)
    lines = ["<b>" + escape(l10n.gettext("Translators")) + "</b>"]
    if people:
        lines += [escape(f"• {name or '?'} ({user_id})") for user_id, name in shown]
    else:
        lines.append(escape(l10n.gettext("Nobody yet. Coordinators translate too.")))
    lines += [
        "",
        escape(
            l10n.gettext(
                "➕ to choose among the people the bot knows, or send /translators and the "
                "person's Telegram id (they see it with /me), e.g. /translators 123456789. "
                "Translators use /translate and /translations."
            )
        ),
    ]
    rows = [
        [
            InlineKeyboardButton(
                "✖ " + truncate(name or str(user_id), 40),
                callback_data=TranslatorButton(False, user_id, page or None).pack(),
            )
        ]
        for user_id, name in shown
    ]
    rows += turn_row(l10n, page, pages, lambda to: TranslatorPage(False, to))
    rows.append(
        [
            InlineKeyboardButton(
                "➕ " + l10n.gettext("Appoint a translator"),
                callback_data=TranslatorButton(True).pack(),
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


@answering_not_allowed
async def translators(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/translators: the list with ✖ and ➕; /translators ID (or as a reply) appoints."""
    translating = context.services.translating
    parts = (message.text or "").split()
    reply = message.reply_to_message
    person = reply.from_user if reply is not None else None
    if person is not None and person.is_bot:
        person = None
    target = (
        person.id if person is not None else whole_number(parts[1]) if len(parts) == 2 else None
    )
    if len(parts) > 1 and target is None:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Give the person's Telegram id (they see it with /me), e.g. /translators "
                    "123456789, or reply to one of their messages with the command."
                )
            )
        )
        return
    if target is not None:
        name = name_of(person) if person is not None else ""
        changed = await translating.appoint(user.id, target, name=name)
        await sync_menus(context.bot, context.services, target)  # theirs, before the reply
        if changed:
            code = person.language_code if person is not None else None
            await _tell_appointed(context, target, True, code)
        text = (
            l10n.gettext("{id} is now a translator.")
            if changed
            else l10n.gettext("{id} is already a translator.")
        )
        await message.reply_text(escape(text.format(id=target)))
    text, markup = _translators_view(l10n, await translating.translators(user.id))
    await message.reply_text(text, reply_markup=markup)


async def on_translator(press: Press[TranslatorButton], context: BotContext) -> None:
    """✖ removes a translator; ➕ lists the people to choose from; a person's button appoints."""
    translating = context.services.translating
    l10n, data = press.l10n, press.data
    if data.appoint and data.user is None:
        people = await translating.candidates(press.user.id)
        await press.query.answer()
        if people:
            text, markup = _candidates_view(l10n, people)
            await press.message.reply_text(text, reply_markup=markup)
        else:
            await press.message.reply_text(
                escape(
                    l10n.gettext(
                        "The bot knows nobody else by name yet: send /translators and the "
                        "person's Telegram id."
                    )
                )
            )
        return
    if data.user is None:
        await press.query.answer()
        return
    changed = await translating.appoint(press.user.id, data.user, data.appoint)
    if data.appoint:
        said = l10n.gettext("{id} is now a translator.") if changed else ""
    else:
        said = l10n.gettext("{id} is no longer a translator.") if changed else ""
    await press.query.answer(said.format(id=data.user) if said else None)
    await sync_menus(context.bot, context.services, data.user)  # that person's menu only
    if changed:
        await _tell_appointed(context, data.user, data.appoint)
    people = await translating.translators(press.user.id)
    await edit(press.message, *_translators_view(l10n, people, data.page or 0))


def _candidates_view(
    l10n: Localizer, people: list[tuple[int, str]], page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The people the bot knows, a page at a time, to appoint one as a translator."""
    buttons = [
        InlineKeyboardButton(
            truncate(name, 40), callback_data=TranslatorButton(True, user_id).pack()
        )
        for user_id, name in people
    ]
    rows = paged_buttons(l10n, buttons, page, lambda to: TranslatorPage(True, to))
    return escape(l10n.gettext("Who becomes a translator?")), InlineKeyboardMarkup(rows)


async def on_translator_page(press: Press[TranslatorPage], context: BotContext) -> None:
    """◀ ▶ under /translators or under the people to appoint from: that page, read again."""
    translating = context.services.translating
    l10n, data = press.l10n, press.data
    if data.appoint:
        people = await translating.candidates(press.user.id)
        view = _candidates_view(l10n, people, data.page)
    else:
        view = _translators_view(l10n, await translating.translators(press.user.id), data.page)
    await press.query.answer()
    await edit(press.message, *view)


def import_text(l10n: Localizer, outcome: ImportOutcome) -> str:
    """A translations file a coordinator sent: what it changed, or why nothing was stored."""
    errors = [*outcome.parsed.errors, *outcome.report.errors]
    if not errors:
        report = outcome.report
        return escape(
            l10n.gettext(
                "Translations: {added} added, {updated} updated, {unchanged} unchanged."
            ).format(
                added=l10n.number(report.added),
                updated=l10n.number(report.updated),
                unchanged=l10n.number(report.unchanged),
            )
        )
    lines = [
        l10n.ngettext(
            "Nothing was stored: {count} row of this translations file cannot be used. "
            "Correct it and send the file again.",
            "Nothing was stored: {count} rows of this translations file cannot be used. "
            "Correct them and send the file again.",
            len(errors),
        ).format(count=l10n.number(len(errors)))
    ]
    for error in errors[:10]:
        where = l10n.gettext("line {line}").format(line=l10n.number(error.line))
        lines.append("• " + l10n.labelled(where, error.translated(l10n)))
    if len(errors) > 10:
        more = len(errors) - 10
        lines.append(l10n.gettext("… and {count} more").format(count=l10n.number(more)))
    return escape("\n".join(lines))
