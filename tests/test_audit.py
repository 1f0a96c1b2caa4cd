"""The audit log: one enum of actions, each labelled in English and Khmer, older rows included."""

import datetime as dt
import re

from babel.messages.pofile import read_po

from bot.domain.audit import AuditAction
from bot.domain.i18n import LOCALES_DIR
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
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
        "បានផ្សព្វផ្សាយជុំវាយតម្លៃ",
        "បានបិទជុំវាយតម្លៃ",
        "បានបើកជុំវាយតម្លៃ",
        "បានចូលរួមតាមលិង្កអញ្ជើញ",
        "បានបង្កើតលិង្កអញ្ជើញ",
        "បានបន្ថែមអង្គការ",
    ]
    assert "1: Check" in lines[4]  # the round's id and name stay as they were written
