"""Round leftovers reviewers reproduced: deep links routed by their shape, a paused
organisation's representative told so, a double tap on a round preview, /compare by buttons,
/start pointing to new results, one list of rows for the results picture and text, and /help
within Telegram's limit — in English and Khmer."""

import dataclasses

from bot.charts import OVERALL_RGB
from bot.domain.assessment import Colour, Overall
from bot.domain.rounds import parse_scope
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage, visible_length
from tests.test_charts import bars_in
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_refusals_reproduced_bot import PAUSED as PAUSED_MEMBER
from tests.test_refusals_reproduced_bot import PAUSED_KM as PAUSED_MEMBER_KM
from tests.test_rounds_bot import GUEST, coalition_with, open_round, rep

PAUSED = (
    "Your organisation's membership of the coalition is paused, so it cannot rate for now. "
    "Contact a coordinator."
)
PAUSED_KM = (
    "សមាជិកភាពរបស់អង្គការអ្នកក្នុងសម្ព័ន្ធត្រូវបានផ្អាក ដូច្នេះមិនអាចវាយតម្លៃបានទេសម្រាប់ពេលនេះ។ សូមទាក់ទងអ្នកសម្របសម្រួល។"
)
NOWHERE = "This link does not lead to a recommendation of an assessment round."
NOWHERE_KM = "លិង្កនេះមិននាំទៅអនុសាសន៍"


def rec_id(services: Services, number: str, cycle: int = 2) -> int:
    return next(
        r.id
        for r in services.catalog.recommendations
        if (r.cycle, str(r.number)) == (cycle, number)
    )


async def test_a_malformed_rate_link_is_answered_as_a_rate_link_never_as_an_invite(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Check")
    for forged in ("r1_" + "9" * 16, "r" + "1" * 20 + "_5", "r1_x", "r1_"):
        answer = await tg.reply_to(member, f"/start {forged}")
        assert answer.text.startswith(NOWHERE), (forged, answer.text)
        assert "invite" not in answer.text
    await services.set_language(member["id"], "km")
    answer = await tg.reply_to(member, "/start r1_" + "9" * 16)
    assert answer.text.startswith(NOWHERE_KM), answer.text
    # An invite code is still an invite, and a working link still opens its card.
    assert (await tg.reply_to(member, "/start abcdefghijklmnopqrstuvwx")).text.startswith(
        "លិង្កអញ្ជើញនេះមិនត្រឹមត្រូវ"
    )
    card = await tg.reply_to(member, f"/start r1_{rec_id(services, '118.2')}")
    assert card.text.startswith("<b>118.2</b>")


async def test_a_paused_organisations_representative_is_told_the_membership_is_paused(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member, other] = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    khmer_card = await tg.reply_to(other, "/rate")
    for person in (member, other):
        found = await services.coalition.person(person["id"])
        assert found is not None
        assert found.organisation_id is not None
        await services.coalition.set_active(COORDINATOR_ID, found.organisation_id, False)
    await services.set_language(other["id"], "km")
    # A colour tap on a card sent before the pause, /rate, a ✍ deep link, /myratings.
    assert await press(tg, card, button(card, "🔴"), member) == PAUSED
    assert (await tg.reply_to(member, "/rate")).text == PAUSED_MEMBER  # as /results says
    assert (await tg.reply_to(member, "/myratings")).text == PAUSED
    link = f"/start r1_{rec_id(services, '118.1')}"
    assert (await tg.reply_to(member, link)).text == PAUSED
    # In Khmer.
    assert await press(tg, khmer_card, button(khmer_card, "🟢"), other) == PAUSED_KM
    assert (await tg.reply_to(other, "/rate")).text == PAUSED_MEMBER_KM
    assert (await tg.reply_to(other, link)).text == PAUSED_KM
    assert await services.assessments.repository.ratings(1) == []


async def tap_twice(
    tg: FakeTelegram, preview: StoredMessage, first: str, second: str
) -> StoredMessage:
    """Tap `first`, then `second` on the preview as it was (a double tap reaches the bot with
    the old buttons); the preview as it ends."""
    old = dataclasses.replace(preview)
    for label in (first, second):
        await press(tg, old, button(old, label), COORDINATOR)
        await tg.next_call(
            "editMessageText", chat_id=preview.chat_id, message_id=preview.message_id
        )
    return tg.messages[(preview.chat_id, preview.message_id)]


async def test_a_double_tap_on_a_round_preview_ends_it_as_the_first_tap_did(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    opened = "Round 1 «Check» is open: 3 recommendations of cycle 2."
    preview = await tg.reply_to(COORDINATOR, "/openround c2 118.1-118.3 : Check")
    ended = await tap_twice(tg, preview, "Open", "Open")
    assert ended.text.startswith(opened), ended.text
    assert buttons(ended) == []
    # Cancel after Open: the round is open, and the preview says so.
    preview = await tg.reply_to(COORDINATOR, "/openround c2 118.9 : Later")
    ended = await tap_twice(tg, preview, "Open", "Cancel")
    assert ended.text.startswith("Round 2 «Later» is open: 1 recommendation of cycle 2.")
    # Double Cancel, and Open after Cancel: cancelled, nothing opened.
    for second in ("Cancel", "Open"):
        preview = await tg.reply_to(COORDINATOR, "/openround c2 118.4-118.5 : Other")
        ended = await tap_twice(tg, preview, "Cancel", second)
        assert ended.text == "Cancelled: no round was opened.", second
        assert buttons(ended) == []
    assert sorted(r.name for r in await services.assessments.rounds()) == ["Check", "Later"]
    # In Khmer.
    await services.set_language(COORDINATOR_ID, "km")
    preview = await tg.reply_to(COORDINATOR, "/openround c2 118.6-118.7 : ពិនិត្យ")
    ended = await tap_twice(tg, preview, "បើក", "បើក")
    assert "«ពិនិត្យ» បានបើក" in ended.text, ended.text
    assert buttons(ended) == []
    preview = await tg.reply_to(COORDINATOR, "/openround c2 118.8 : ផ្សេង")
    ended = await tap_twice(tg, preview, "បោះបង់", "បើក")
    khmer = services.translations.localizer("km")
    assert ended.text == khmer.gettext("Cancelled: no round was opened.")
    assert len(await services.assessments.rounds()) == 3


async def two_groups_round(bot: BotApplication, tg: FakeTelegram) -> list[dict]:  # type: ignore[type-arg]
    """Three organisations in land, three in women's rights (the last reads Khmer); a round
    over both groups' lists, land's members 🟢 on one of land's, women's 🔴 on one of
    theirs; closed and published. The representatives."""
    services: Services = bot.bot_data["services"]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    reps = await coalition_with(bot, 3, "land")
    for n in range(3, 6):
        invite = await services.coalition.add_organisation(COORDINATOR_ID, f"ORG{n}", f"Org {n}")
        await services.coalition.toggle_group(
            COORDINATOR_ID, invite.organisation.id, groups["women"]
        )
        person = rep(n)
        await services.coalition.join(person["id"], person["first_name"], "en", invite.code)
        reps.append(person)
    await services.set_language(reps[5]["id"], "km")
    await open_round(tg, "c2 land women", "Mid-term")
    repository = services.assessments.repository
    land = sorted(await repository.group_items(1, groups["land"]))
    women = sorted(await repository.group_items(1, groups["women"]) - set(land))
    for person in reps[:3]:
        await services.assessments.rate(person["id"], 1, land[0], Colour.GREEN)
    for person in reps[3:]:
        await services.assessments.rate(person["id"], 1, women[0], Colour.RED)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    assert await services.assessments.publish(COORDINATOR_ID, 1)
    return reps


async def results_seen(tg: FakeTelegram, user: dict) -> tuple[list[dict], list[str]]:  # type: ignore[type-arg]
    """/results 1 in private: the picture's bars and the text summary's rows."""
    summary = await tg.reply_to(user, "/results 1")
    photo = await tg.next_call("sendPhoto", chat_id=user["id"])
    await tg.next_call("sendMessage", chat_id=user["id"])  # the first page of the table
    bars = bars_in(tg.photos[(user["id"], photo.result["message_id"])])
    return bars, summary.text.split("\n\n", 1)[1].split("\n")


async def test_the_results_picture_and_text_show_the_same_rows(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await two_groups_round(bot, tg)
    green, red = OVERALL_RGB[Overall.GREEN], OVERALL_RGB[Overall.RED]
    repository = services.assessments.repository
    spanned = [
        g
        for g in await services.coalition.working_groups()
        if await repository.group_items(1, g.id)
    ]
    for user, language in ((COORDINATOR, "en"), (reps[0], "en"), (reps[5], "km")):
        bars, rows = await results_seen(tg, user)
        # A bar per working group in the round; the text names the same groups, in order,
        # each with the bar's colours.
        assert len(bars) == len(rows) == len(spanned) > 2, (language, rows)
        names = [row.rsplit(": " if language == "en" else "៖ ", 1)[0] for row in rows]
        assert names == [g.name(language) for g in spanned]
        for bar, row in zip(bars, rows, strict=True):
            assert (green in bar) == ("🟢" in row), row
            assert (red in bar) == ("🔴" in row), row


async def help_pages(
    tg: FakeTelegram,
    user: dict,  # type: ignore[type-arg]
    chat: dict | None,  # type: ignore[type-arg]
    parts: int,
) -> list[str]:
    """/help, then its [More]: the short page, then the full help's messages."""
    short = await tg.reply_to(user, "/help", chat)
    pages = [short.text]  # before [More] replaces it
    await press(tg, short, button(short, labels_more(short)), user)
    chat_id = (chat or user)["id"]
    edit = await tg.next_call("editMessageText", chat_id=chat_id, message_id=short.message_id)
    pages.append(str(edit.params["text"]))
    for _ in range(parts - 1):
        pages.append(str((await tg.next_call("sendMessage", chat_id=chat_id)).params["text"]))
    return pages


def labels_more(message: StoredMessage) -> str:
    [more] = [b["text"] for b in buttons(message)]
    return str(more)


async def test_every_roles_help_stays_within_telegrams_limit_in_both_languages(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    # A coordinator's full help takes two messages; a member's and a guest's one, each page
    # under Telegram's 4096 characters (as Telegram counts them: the text without its tags).
    people = ((GUEST, 1), (member, 1), (COORDINATOR, 2))
    for language in ("en", "km"):
        for user, parts in people:
            await services.set_language(user["id"], language)
            for chat in (None, GROUP):
                pages = await help_pages(tg, user, chat, parts)
                lengths = [visible_length(page) for page in pages]
                assert all(length < 4096 for length in lengths), (language, user, chat, lengths)
                assert lengths[0] < 1000, (language, user, chat)  # the short page is short


async def closed_round(services: Services, words: str, name: str, *, publish: bool = True) -> int:
    """A round over `words`, closed (and published), opened through the services."""
    tz, today = services.settings.timezone, services.clock.now().date()
    scope = parse_scope(words, services.catalog, tz, today)
    round_id = await services.assessments.open_round(COORDINATOR_ID, name, scope)
    await services.assessments.set_open(COORDINATOR_ID, round_id, False)
    if publish:
        assert await services.assessments.publish(COORDINATOR_ID, round_id)
    return round_id


async def comparison_shown(tg: FakeTelegram, user: dict) -> str:  # type: ignore[type-arg]
    """The comparison's picture caption, then its text, as a user's chat got them."""
    photo = await tg.next_call("sendPhoto", chat_id=user["id"])
    text = await tg.next_call("sendMessage", chat_id=user["id"])
    return f"{photo.params['caption']}\n{text.params['text']}"


async def test_compare_without_numbers_offers_the_rounds_as_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    nothing = await tg.reply_to(member, "/compare")
    assert nothing.text == "There are not yet two rounds with results to compare. See /rounds."
    await closed_round(services, "c2 118.1-118.5", "Baseline")
    await closed_round(services, "c2 118.1-118.5", "Mid-term")
    # Exactly two comparable rounds of one scope: proposed at once.
    offer = await tg.reply_to(member, "/compare")
    assert offer.text == "Compare «Baseline» with «Mid-term»?"
    assert await press(tg, offer, button(offer, "Compare"), member) == ""
    assert (await comparison_shown(tg, member)).startswith("«Baseline» → «Mid-term»\n")
    # A third round, of another scope, and one not published (members do not see it; the
    # coordinator does): choose the earlier, then the later, newest first.
    await closed_round(services, "c2 118.1-118.9", "Final")
    await closed_round(services, "c2 118.1-118.9", "Unpublished", publish=False)
    offer = await tg.reply_to(member, "/compare")
    assert offer.text == "Which rounds? First choose the earlier round:"
    assert [b["text"] for b in buttons(offer)] == ["3. Final", "2. Mid-term", "1. Baseline"]
    assert await press(tg, offer, button(offer, "1. Baseline"), member) == ""
    later = await edited(tg, offer)
    assert later.text == "Earlier round: «Baseline». Now choose the later round:"
    assert [b["text"] for b in buttons(later)] == ["3. Final", "2. Mid-term"]
    await press(tg, later, button(later, "3. Final"), member)
    assert (await comparison_shown(tg, member)).startswith("«Baseline» → «Final»\n")
    coordinator = await tg.reply_to(COORDINATOR, "/compare")
    assert buttons(coordinator)[0]["text"] == "4. Unpublished"
    # A forged later round the member may not see: refused, nothing compared.
    forged = "cp:1:4:0"
    await press(tg, tg.carrying(later, forged), forged, member)
    refused = await tg.next_call("sendMessage", chat_id=member["id"])
    assert refused.params["text"] == (
        "Results are shown to members once coordinators publish a closed round."
    )
    # In Khmer.
    await services.set_language(member["id"], "km")
    offer = await tg.reply_to(member, "/compare")
    assert offer.text == "ប្រៀបធៀបវគ្គវាយតម្លៃណាខ្លះ? សូមជ្រើសរើសវគ្គមុនសិន៖"
    await press(tg, offer, button(offer, "២. Mid-term"), member)
    later = await edited(tg, offer)
    assert later.text == "វគ្គមុន៖ «Mid-term»។ ឥឡូវសូមជ្រើសរើសវគ្គក្រោយ៖"
    await press(tg, later, button(later, "៣. Final"), member)
    assert "«Mid-term» → «Final»" in await comparison_shown(tg, member)


async def test_a_members_start_points_to_newly_published_results(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    [member, khmer] = await coalition_with(bot, 2)
    await services.set_language(khmer["id"], "km")
    await closed_round(services, "c2 118.1-118.5", "Baseline")
    welcome = await tg.reply_to(member, "/start")
    assert "📊 New results: «Baseline»." in welcome.text
    assert [b["text"] for b in buttons(welcome)] == ["📊 Results"]
    assert await press(tg, welcome, button(welcome, "📊 Results"), member) == ""
    summary = await tg.next_call("sendMessage", chat_id=member["id"])
    assert str(summary.params["text"]).startswith("<b>Baseline</b>")
    await tg.next_call("sendPhoto", chat_id=member["id"])
    await tg.next_call("sendMessage", chat_id=member["id"])  # the table's first page
    # /rounds keeps its buttons: [Rate now] beside an open round, [Results] beside a published.
    tz, today = services.settings.timezone, services.clock.now().date()
    scope = parse_scope("c2 118.6-118.7", services.catalog, tz, today)
    await services.assessments.open_round(COORDINATOR_ID, "Open", scope)
    listing = await tg.reply_to(member, "/rounds")
    assert [b["text"] for b in buttons(listing)] == ["Rate now: 2. Open", "Results: 1. Baseline"]
    # Two new results: a button each; in Khmer.
    await closed_round(services, "c2 118.8-118.9", "Final")
    welcome = await tg.reply_to(khmer, "/start")
    assert "📊 លទ្ធផលថ្មី៖ «Final»។" in welcome.text
    assert "📊 លទ្ធផលថ្មី៖ «Baseline»។" in welcome.text
    assert [b["text"] for b in buttons(welcome)][-2:] == [
        "📊 លទ្ធផល៖ «Final»",
        "📊 លទ្ធផល៖ «Baseline»",
    ]
    # Two weeks later they are not new any more.
    clock.advance(days=15)
    welcome = await tg.reply_to(member, "/start")
    assert "New results" not in welcome.text
    assert [b["text"] for b in buttons(welcome)] == ["Rate now"]
