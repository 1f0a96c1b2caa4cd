"""Onboarding per role: /start's checklist, membership or way in; /help and the command menus
showing each role, in each kind of chat, only what it can use — in English and Khmer."""

from typing import Any

from bot.domain.assessment import Colour
from bot.domain.i18n import Translations
from bot.domain.membership import Role
from bot.domain.rounds import parse_scope
from bot.services import Services
from handlers.commands import commands_for
from handlers.common import BotApplication
from handlers.render import escape, split_messages
from handlers.start import help_text
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, KHMER_MEMBER, MEMBER
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_access_matrix import COMMAND_ROWS, PERSONA_ROLES

KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")

GUEST = {"id": 4444, "is_bot": False, "first_name": "Vanna", "language_code": "en"}
FRENCH = {"id": 5555, "is_bot": False, "first_name": "Claire", "language_code": "fr"}


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


def labels(message: StoredMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def data_of(message: StoredMessage, label: str) -> str:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return next(str(b["callback_data"]) for row in rows for b in row if b["text"] == label)


def allowed(persona: str) -> set[str]:
    """What the access matrix says this kind of user may send (tests/test_access_matrix.py)."""
    column = list(PERSONA_ROLES).index(persona)
    return {name for name, (_, who) in COMMAND_ROWS.items() if who[column]}


async def join(tg: FakeTelegram, bot: BotApplication, user: dict[str, Any], short: str) -> int:
    """A new organisation, and `user` joins it with its invite link, through the bot."""
    invite = await services_of(bot).coalition.add_organisation(
        COORDINATOR_ID, short, f"{short} organisation"
    )
    reply = await tg.reply_to(user, f"/start {invite.code}")
    assert short in reply.text
    await tg.menu_published(user["id"])  # just after the welcome
    told = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # "… joined …"
    assert f"{short}." in told.params["text"]
    return invite.organisation.id


async def run_menu_job(bot: BotApplication) -> None:
    assert bot.job_queue is not None
    [job] = bot.job_queue.get_jobs_by_name("menus")
    await job.run(bot)


async def test_each_role_is_offered_in_its_menu_only_what_it_may_use(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    # Everyone's menus, as Telegram would show them: never a command the bot refuses them.
    assert set(tg.menu(GUEST)) == allowed("guest")
    assert set(tg.menu(COORDINATOR)) == allowed("coordinator in private")
    assert set(tg.menu(GUEST, GROUP)) <= allowed("guest")
    assert set(tg.menu(COORDINATOR, GROUP)) <= allowed("coordinator in a group")
    # A member who joins gets the member's menu at once, in their Telegram's language.
    await join(tg, bot, KHMER_MEMBER, "KHM")
    assert set(tg.menu(KHMER_MEMBER)) == allowed("member of another organisation")
    assert set(tg.menu(KHMER_MEMBER, GROUP)) <= allowed("representative in a group")
    khmer = tg.commands_of(KHMER_MEMBER, "rate")
    assert khmer.startswith("វាយតម្លៃ"), khmer
    # Promoted: the coordinator's menu, in each language; demoted: back to the member's, and
    # nothing of the coordinator's is left in any language.
    await tg.reply_to(COORDINATOR, f"/promote {KHMER_MEMBER['id']}")
    assert set(tg.menu(KHMER_MEMBER)) == allowed("coordinator in private")
    assert set(tg.menu(KHMER_MEMBER, language="en")) == allowed("coordinator in private")
    await tg.reply_to(COORDINATOR, f"/demote {KHMER_MEMBER['id']}")
    for language in ("km", "en", "fr"):
        menu = set(tg.menu(KHMER_MEMBER, language=language))
        assert menu == allowed("member of another organisation"), language
    # Promoting a guest (no organisation) and demoting them leaves them the guests' menu.
    await tg.reply_to(COORDINATOR, f"/promote {GUEST['id']}")
    assert "audit" in tg.menu(GUEST)
    await tg.reply_to(COORDINATOR, f"/demote {GUEST['id']}")
    for language in ("km", "en", "fr"):
        assert set(tg.menu(GUEST, language=language)) == allowed("guest"), language
    # The job changes nothing more: everything is in step.
    before = len([c for c in tg.calls if c.method.endswith("MyCommands")])
    await run_menu_job(bot)
    assert len([c for c in tg.calls if c.method.endswith("MyCommands")]) == before


async def test_a_menu_follows_a_language_choice_and_waits_for_a_reachable_chat(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await join(tg, bot, MEMBER, "ENG")
    assert tg.commands_of(MEMBER, "rate").startswith("Rate how far")
    chooser = await tg.reply_to(MEMBER, "/language")
    await tg.press(chooser, data_of(chooser, "ខ្មែរ"), user=MEMBER)
    await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    await tg.menu_published(MEMBER["id"])
    # Chosen: Khmer whatever the app's language.
    assert tg.commands_of(MEMBER, "rate").startswith("វាយតម្លៃ")
    assert tg.commands_of(MEMBER, "rate", language="fr").startswith("វាយតម្លៃ")
    # Telegram refuses a chat it does not know (someone who never opened the bot): nothing
    # is recorded, and the job publishes it once they wrote to the bot.
    services = services_of(bot)
    tg.unknown_chats.add(6666)
    await services.coalition.set_coordinator(COORDINATOR_ID, 6666, True)
    await run_menu_job(bot)
    refused = [
        c
        for c in tg.calls
        if c.method == "setMyCommands" and (c.params.get("scope") or {}).get("chat_id") == 6666
    ]
    assert [c.error for c in refused] == ["Bad Request: chat not found"]
    refused[0].consumed = True
    tg.unknown_chats.discard(6666)
    await tg.reply_to({"id": 6666, "is_bot": False, "first_name": "Vy"}, "/me")
    await run_menu_job(bot)
    assert "audit" in tg.menu({"id": 6666, "language_code": "en"})


async def test_help_shows_each_role_and_chat_what_it_can_do_with_more(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await join(tg, bot, MEMBER, "ENG")
    await join(tg, bot, KHMER_MEMBER, "KHM")
    cases = {
        (Role.GUEST, True): (GUEST, None),
        (Role.GUEST, False): (GUEST, GROUP),
        (Role.MEMBER, True): (MEMBER, None),
        (Role.MEMBER, False): (MEMBER, GROUP),
        (Role.COORDINATOR, True): (COORDINATOR, None),
        (Role.COORDINATOR, False): (COORDINATOR, GROUP),
    }
    every = {c.name for c in commands_for(Role.COORDINATOR, True)} | {
        c.name for c in commands_for(Role.MEMBER, True)
    }
    every |= {c.name for c in commands_for(Role.COORDINATOR, False)}
    for (role, private), (user, chat) in cases.items():
        short = await tg.reply_to(user, "/help", chat)
        usable = {c.name for c in commands_for(role, private)}
        listed = short.text.rpartition(": ")[2].split()
        assert {name.removeprefix("/") for name in listed} == usable, (role, private)
        assert labels(short) == ["More ▸"]
        assert len(short.text) < 900, (role, private)  # short
        parts = 2 if role is Role.COORDINATOR else 1  # a coordinator's: two messages
        full = await tg.full_help(user, chat, parts=parts)
        for name in every:
            assert (f"\n/{name} — " in full) == (name in usable), (role, private, name)
    # In Khmer.
    short = await tg.reply_to(KHMER_MEMBER, "/help")
    assert short.text.startswith("ផ្ញើលេខមួយមកខ្ញុំ")
    assert "វាយតម្លៃសម្រាប់អង្គការរបស់អ្នកដោយ /rate" in short.text
    assert labels(short) == ["បន្ថែម ▸"]
    full = await tg.full_help(KHMER_MEMBER)
    assert "\n/myratings — " in full
    assert "/addorg" not in full


async def test_start_greets_each_role_with_what_it_needs_first(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    # A guest: how to look things up, examples as buttons; no language question in English.
    welcome = await tg.reply_to(GUEST, "/start")
    assert "ask a coordinator for an invite link" in welcome.text
    assert labels(welcome) == ["118.6", "land", "ដីធ្លី", "Japan"]
    await tg.press(welcome, data_of(welcome, "118.6"), user=GUEST)
    card = await tg.next_call("sendMessage", chat_id=GUEST["id"])
    assert str(card.params["text"]).startswith("<b>118.6</b>")
    # Telegram in French and no choice made: the language question, until one is chosen.
    welcome = await tg.reply_to(FRENCH, "/start")
    assert welcome.text.endswith("Choose your language:")
    assert labels(welcome)[-2:] == ["English", "ខ្មែរ"]
    await tg.press(welcome, data_of(welcome, "English"), user=FRENCH)
    await tg.next_call("sendMessage", chat_id=FRENCH["id"])
    assert "English" not in labels(await tg.reply_to(FRENCH, "/start"))

    # A coordinator: the checklist.
    org = await join(tg, bot, KHMER_MEMBER, "KHM")
    await services.coalition.add_organisation(COORDINATOR_ID, "WAIT", "Waiting organisation")
    land = next(g for g in await services.coalition.working_groups() if g.slug == "land")
    await services.coalition.toggle_group(COORDINATOR_ID, org, land.id)
    await services.coalition.link_chat(COORDINATOR_ID, GROUP["id"], 0, land.id, GROUP["title"])
    tz, today = services.settings.timezone, services.clock.now().date()
    scope = parse_scope("c2 118.1-118.9 until 2027-03-31", services.catalog, tz, today)
    round_id = await services.assessments.open_round(COORDINATOR_ID, "Mid-term 2026", scope)
    groups = await services.coalition.working_groups()
    checklist = await tg.reply_to(COORDINATOR, "/start")
    assert "2 active organisations" in checklist.text
    assert f"Working groups with a chat: 1 of {len(groups)}" in checklist.text
    unlinked = ", ".join(g.name_en for g in groups if g.id != land.id)
    assert f"Not yet: {unlinked}." in checklist.text
    assert "1 open round:\n  «Mid-term 2026» — closes March 31, 2027 (Phnom Penh)" in (
        checklist.text
    )
    assert "1 invite link not used yet" in checklist.text
    assert labels(checklist) == ["Open panel: «Mid-term 2026»", "Rounds"]
    await tg.press(checklist, data_of(checklist, "Rounds"), user=COORDINATOR)
    rounds = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert "Mid-term 2026" in str(rounds.params["text"])
    await tg.press(checklist, data_of(checklist, "Open panel: «Mid-term 2026»"), user=COORDINATOR)
    panel = await tg.next_call("editMessageText", message_id=checklist.message_id)
    assert "Mid-term 2026" in str(panel.params["text"])
    assert "KHM" in str(panel.params["text"])  # each organisation's progress

    # A member, in Khmer: organisation, groups, what is left to rate, [Rate now].
    first = scope.recommendation_ids[0]
    await services.assessments.rate(KHMER_MEMBER["id"], round_id, first, Colour.RED)
    welcome = await tg.reply_to(KHMER_MEMBER, "/start")
    assert welcome.text.startswith("<b>សូមស្វាគមន៍។ អ្នកជាតំណាងរបស់ KHM (KHM organisation)។</b>")
    assert "ក្រុមការងាររបស់អ្នក៖ ដីធ្លី និងធនធានធម្មជាតិ" in welcome.text
    assert "«Mid-term 2026»៖ នៅសល់ ៨ ដែលត្រូវវាយតម្លៃ" in welcome.text
    assert labels(welcome) == ["វាយតម្លៃឥឡូវនេះ"]
    await tg.press(welcome, data_of(welcome, "វាយតម្លៃឥឡូវនេះ"), user=KHMER_MEMBER)
    card = await tg.next_call("sendMessage", chat_id=KHMER_MEMBER["id"])
    assert "118.2" in str(card.params["text"])


async def test_start_payloads_still_dispatch(tg: FakeTelegram, bot: BotApplication) -> None:
    help_ = await tg.reply_to(GUEST, "/start help")
    assert labels(help_) == ["More ▸"]
    wrong = await tg.reply_to(GUEST, "/start not-a-real-code")
    assert wrong.text.startswith("This invite link is not valid.")
    in_group = await tg.reply_to(GUEST, "/start", GROUP)  # in a group: the short help
    assert in_group.text.startswith("Here, start with /find")


async def test_start_in_khmer_for_a_coordinator_and_a_guest(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    khmer_guest = {"id": 7777, "is_bot": False, "first_name": "Bopha", "language_code": "km"}
    welcome = await tg.reply_to(khmer_guest, "/start")
    assert welcome.text.startswith("<b>សូមស្វាគមន៍មកកាន់បូតរបស់សម្ព័ន្ធ UPR។</b>")
    assert "សូមសុំលិង្កអញ្ជើញ" in welcome.text
    assert labels(welcome) == ["118.6", "land", "ដីធ្លី", "Japan"]  # no language question
    await tg.press(welcome, data_of(welcome, "ដីធ្លី"), user=khmer_guest)
    found = await tg.next_call("sendMessage", chat_id=khmer_guest["id"])
    assert "ដីធ្លី" in str(found.params["text"])

    await services.set_language(COORDINATOR_ID, "km")
    checklist = await tg.reply_to(COORDINATOR, "/start")
    groups = await services.coalition.working_groups()
    assert checklist.text.startswith("<b>សូមស្វាគមន៍ អ្នកសម្របសម្រួល។ ស្ថានភាពបច្ចុប្បន្ន៖</b>")
    assert "• អង្គការសកម្ម ០ (/orgs, /addorg)" in checklist.text
    assert (
        f"• ក្រុមការងារដែលមានក្រុមជជែក៖ ០ ក្នុងចំណោម {str(len(groups)).translate(KHMER)}"
        in checklist.text
    )
    assert groups[0].name_km in checklist.text
    assert "• មិនមានវគ្គវាយតម្លៃកំពុងបើកទេ៖ /openround បើកវគ្គថ្មី។" in checklist.text
    assert "• លិង្កអញ្ជើញ ០ មិនទាន់បានប្រើ" in checklist.text
    assert labels(checklist) == ["វគ្គវាយតម្លៃ"]


def test_coordinators_help_says_who_a_round_tells_and_when_publish_warns() -> None:
    translations = Translations.load("en")
    english = help_text(translations.localizer("en"), 2, Role.COORDINATOR, True)
    khmer = help_text(translations.localizer("km"), 2, Role.COORDINATOR, True)
    for text in (english, khmer):
        assert all(len(chunk) <= 4096 for chunk in split_messages([text]))
    for words in (
        "A round tells the chats of the working groups whose lists hold its recommendations",
        "or when over half the recommendations have “not enough ratings”",
        "📌 Open and pin also pins its notice",
        "“N of M” on a card: N organisations rated it, of the M it concerns.",
    ):
        assert escape(words) in english
    assert "«N ក្នុងចំណោម M» លើកាត" in khmer
    assert "«ចំនួនការវាយតម្លៃមិនទាន់គ្រប់គ្រាន់»)" in khmer
