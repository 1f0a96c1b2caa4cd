"""The audit log: one enum of actions, each labelled in English and Khmer, older rows included."""

import datetime as dt
import re

from babel.messages.pofile import read_po

from bot.domain.audit import AuditAction
from bot.domain.i18n import LOCALES_DIR
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, MEMBER, FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, open_round

# What earlier versions wrote into audit_log.action: these must keep reading back.
STORED_BEFORE_THE_ENUM = [
    "add organisation",
    "activate",
    "deactivate",
    "join group",
    "leave group",
    "remove representative",
    "erase organisation",
    "create invite",
    "revoke invite",
    "join with invite",
    "promote",
    "demote",
    "link chat",
    "unlink chat",
    "open round",
    "close round",
    "reopen round",
    "publish round",
    "add to group list",
    "remove from group list",
    "members edit group list",
    "only coordinators edit group list",
    "correct milestone",
    "add action",
    "edit action",
    "import strategy",
    "create broadcast",
    "edit broadcast",
    "cancel broadcast",
    "send broadcast",
    "delete broadcast",
    "delete round",
    "appoint translator",
    "remove translator",
    "import report",
    "set responses",
    "set current cycle",
]


def catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=language) if m.id and not m.fuzzy}


def test_every_audit_action_has_a_label_in_both_catalogs() -> None:
    english, khmer = catalog("en"), catalog("km")
    labels = [action.label for action in AuditAction]
    assert len(set(labels)) == len(labels)  # two actions never read the same
    for action in AuditAction:
        assert action.label in english, action
        assert re.search("[\u1780-\u17ff]", khmer.get(action.label, "")), action


async def test_rows_written_before_the_enum_read_back_as_actions(services: Services) -> None:
    assert [a.value for a in AuditAction] == STORED_BEFORE_THE_ENUM
    async with services.database.transaction() as db:
        await db.executemany(
            "INSERT INTO audit_log (at, actor_id, action, organisation_id, detail) "
            "VALUES (?, ?, ?, NULL, '')",
            [
                (dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat(), COORDINATOR_ID, action)
                for action in STORED_BEFORE_THE_ENUM
            ],
        )
    entries = await services.coalition.repository.audit_log(limit=100)
    assert [e.action for e in reversed(entries)] == list(AuditAction)


async def test_audit_in_khmer_labels_round_and_membership_actions(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.2", "Check")
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    [group, *_] = await services.coalition.working_groups()
    await services.group_lists.toggle_members_may_edit(COORDINATOR_ID, group.id)

    await services.set_language(COORDINATOR_ID, "km")  # as /language does
    log = await tg.reply_to(COORDINATOR, "/audit")
    lines = log.text.split("\n")
    assert lines[0] == "<b>សកម្មភាពចុងក្រោយរបស់អ្នកសម្របសម្រួល</b>"
    actions = [line.split(" · ")[2] for line in lines[1:]]
    assert actions == [
        "បានអនុញ្ញាតឱ្យសមាជិកកែបញ្ជីរបស់ក្រុមការងារ",
        "បានផ្សព្វផ្សាយវគ្គវាយតម្លៃ",
        "បានបិទវគ្គវាយតម្លៃ",
        "បានបើកវគ្គវាយតម្លៃ",
        "បានចូលរួមតាមលិង្កអញ្ជើញ",
        "បានបង្កើតលិង្កអញ្ជើញ",
        "បានបន្ថែមអង្គការ",
    ]
    assert lines[4].endswith("វគ្គទី១ «Check»")  # the round by its number and title


async def test_audit_names_who_and_what_in_phnom_penh_time_a_page_at_a_time(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    coalition = services.coalition
    invite = await coalition.add_organisation(COORDINATOR_ID, "ADHOC", "ADHOC organisation")
    await tg.reply_to(MEMBER, f"/start {invite.code}")  # Sokha joins: the bot knows the name
    told = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # "Sokha joined ADHOC…"
    assert told.params["text"].startswith("Sokha joined ADHOC")
    await tg.reply_to(COORDINATOR, "/help")  # so does it the coordinator's
    land = next(g for g in await coalition.working_groups() if g.slug == "land")
    await coalition.toggle_group(COORDINATOR_ID, invite.organisation.id, land.id)
    forum = -100777
    await coalition.link_chat(COORDINATOR_ID, forum, 6, land.id, "Coalition forum")
    clock.advance(hours=1)
    await coalition.set_coordinator(COORDINATOR_ID, MEMBER["id"], True)
    await open_round(tg, "c2 118.1-118.2", "Mid-term")
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    log = await tg.reply_to(COORDINATOR, "/audit")
    lines = log.text.split("\n")
    assert lines[0] == "<b>Latest coordinator actions</b>"
    assert (
        lines[1]
        == "23 Nov 2026, 10:00 (Phnom Penh) · Coord · closed assessment round · round 1 «Mid-term»"
    )
    assert "· Coord · made coordinator · Sokha" in log.text
    assert (
        "· Coord · linked chat to working group · «Coalition forum» → Land and natural resources"
        in log.text
    )
    assert (
        "· Coord · put organisation in working group · ADHOC · Land and natural resources"
        in log.text
    )
    assert "23 Nov 2026, 09:00 (Phnom Penh) · Sokha · joined with an invite · ADHOC" in log.text
    assert not re.search(r"\d{3,}", log.text.replace("2026", ""))  # no raw ids anywhere
    # Unlinked later: the chat is still named while the bot knows it; then it is "a group chat".
    await coalition.unlink_chat(COORDINATOR_ID, forum, None)
    log = await tg.reply_to(COORDINATOR, "/audit")
    assert "removed chat link · a group chat no longer linked" in log.text
    assert "100777" not in log.text

    # In Khmer: the actions, the round and the group in Khmer.
    await services.set_language(COORDINATOR_ID, "km")
    log = await tg.reply_to(COORDINATOR, "/audit")
    assert "(តាមម៉ោងភ្នំពេញ) · Coord · បានបិទវគ្គវាយតម្លៃ · វគ្គទី១ «Mid-term»" in log.text
    assert "ដីធ្លី និងធនធានធម្មជាតិ" in log.text

    # More than a page: ▶ older, ◀ newer, in place.
    for _ in range(8):
        await coalition.toggle_group(COORDINATOR_ID, invite.organisation.id, land.id)
    await services.set_language(COORDINATOR_ID, "en")
    first = await tg.reply_to(COORDINATOR, "/audit")
    assert len(first.text.split("\n")) == 16  # the title and fifteen entries
    assert [b["text"] for row in first.reply_markup["inline_keyboard"] for b in row] == ["▶"]
    await press(tg, first, button(first, "▶"), COORDINATOR)
    older = await edited(tg, first)
    assert older.text.startswith("<b>Coordinator actions, page 2</b>\n")
    assert older.text.endswith("· Coord · added organisation · ADHOC · ADHOC organisation")
    assert [b["text"] for row in older.reply_markup["inline_keyboard"] for b in row] == ["◀"]
    await press(tg, older, button(older, "◀"), COORDINATOR)
    assert (await edited(tg, older)).text == first.text
