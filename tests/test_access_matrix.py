"""Every command and every button, sent or pressed by each kind of user: works or refused.

The matrix is driven by the bot's own registries (COMMANDS, BUTTONS): a new command or button
prefix without a row below fails, so nobody can add one and forget who may use it. The rows
are what the README promises, written here independently of the code's access table.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import running
from bot.domain.access import Refusal
from bot.domain.assessment import Colour
from bot.domain.catalog import SearchRequest
from bot.domain.i18n import Localizer
from bot.domain.membership import Role
from bot.domain.rounds import parse_scope
from bot.domain.strategy import ActionDraft
from bot.services import Services
from handlers import BUTTONS
from handlers.access import refusal_text
from handlers.commands import COMMANDS, commands_for
from handlers.common import BotApplication, stale
from handlers.render import list_data
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock, make_settings
from tests.fake_telegram import FakeTelegram

# Who acts, and where: (user, chat or None for their private chat).
GUEST = {"id": 4001, "is_bot": False, "first_name": "Guest", "language_code": "en"}
MEMBER = {"id": 4002, "is_bot": False, "first_name": "Member", "language_code": "en"}
INACTIVE = {"id": 4003, "is_bot": False, "first_name": "Paused", "language_code": "en"}
OWNER = {"id": 4004, "is_bot": False, "first_name": "Owner", "language_code": "en"}
TRANSLATOR = {"id": 4005, "is_bot": False, "first_name": "Translator", "language_code": "en"}
TRANSLATING_MEMBER = {"id": 4006, "is_bot": False, "first_name": "Both", "language_code": "en"}
PERSONAS: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "guest": (GUEST, None),
    "member of another organisation": (MEMBER, None),
    "member of an inactive organisation": (INACTIVE, None),
    "coordinator in a group": (COORDINATOR, GROUP),
    "coordinator in private": (COORDINATOR, None),
    "representative in a group": (OWNER, GROUP),
    "translator (not a member)": (TRANSLATOR, None),
    "member who is also a translator": (TRANSLATING_MEMBER, None),
}
IN_GROUP_NOT_COORDINATOR = 5
ORGANISATIONS = ("OWNER", "OTHER", "PAUSED", "SPARE", "BOTH")  # short names; full names add " org"

Y, N = True, False
# Columns: guest, other member, inactive, coordinator group/private, representative in a
# group, translator (not a member), member who is also a translator (both private).
ANYONE = (Y, Y, Y, Y, Y, Y, Y, Y)
MEMBERS = (N, Y, N, Y, Y, Y, N, Y)  # members of active organisations and coordinators
RATERS = (N, Y, N, N, N, Y, N, Y)  # representatives of active organisations (coordinators are not)
RATERS_PRIVATE = (N, Y, N, N, N, N, N, Y)  # the private rating flow's own buttons
COORDINATORS = (N, N, N, Y, Y, N, N, N)
COORDINATORS_PRIVATE = (N, N, N, N, Y, N, N, N)  # membership details never go into a group
COORDINATORS_GROUP = (N, N, N, Y, N, N, N, N)  # acts on the group itself
RESPONSIBLE = (
    N,
    N,
    N,
    Y,
    Y,
    Y,
    N,
    N,
)  # an action's: its organisations' representatives, coordinators
TRANSLATORS = (N, N, N, N, Y, N, Y, Y)  # appointed translators and coordinators, privately

# command -> (what is sent, who may: guest, other member, inactive, coordinator group/private)
COMMAND_ROWS: dict[str, tuple[str, tuple[bool, ...]]] = {
    "find": ("/find 118.6", ANYONE),
    "themes": ("/themes", ANYONE),
    "states": ("/states", ANYONE),
    "cycles": ("/cycles", ANYONE),
    "language": ("/language", ANYONE),
    "help": ("/help", ANYONE),
    "start": ("/start", ANYONE),
    "me": ("/me", (Y, Y, Y, N, Y, N, Y, Y)),  # one's organisation is not announced to a group
    "rate": ("/rate", (N, Y, N, Y, N, Y, N, Y)),  # coordinators post cards in groups, do not rate
    "myratings": ("/myratings", (N, Y, N, N, N, N, N, Y)),  # nor are its ratings
    "rounds": ("/rounds", MEMBERS),
    "results": ("/results {published}", MEMBERS),
    "export": ("/export {published} csv", MEMBERS),
    "compare": ("/compare {published} {published}", MEMBERS),
    "grouprecs": ("/grouprecs", MEMBERS),
    "openround": ("/openround c2 118.1-118.3 : Matrix", COORDINATORS),
    "orgs": ("/orgs", COORDINATORS_PRIVATE),
    "addorg": ("/addorg MATRIX Matrix organisation", COORDINATORS),
    "linkgroup": ("/linkgroup", COORDINATORS_GROUP),
    "groups": ("/groups", COORDINATORS_PRIVATE),
    "unlinkgroup": ("/unlinkgroup", COORDINATORS_GROUP),
    "promote": ("/promote 3001", COORDINATORS),
    "demote": ("/demote 3002", COORDINATORS),
    "unreachable": ("/unreachable", COORDINATORS_PRIVATE),
    "audit": ("/audit", COORDINATORS_PRIVATE),
    "status": ("/status", COORDINATORS_PRIVATE),
    "strategy": ("/strategy", MEMBERS),
    "milestones": ("/milestones", MEMBERS),
    "broadcast": ("/broadcast", COORDINATORS_PRIVATE),
    "broadcasts": ("/broadcasts", COORDINATORS_PRIVATE),
    # Translators (a member or not) and coordinators, privately; only coordinators appoint.
    "translate": ("/translate", TRANSLATORS),
    "translations": ("/translations", TRANSLATORS),
    "translators": ("/translators", COORDINATORS_PRIVATE),
    "responses": ("/responses", COORDINATORS_PRIVATE),
}

# button prefix -> (callback data, who may press it)
BUTTON_ROWS: dict[str, tuple[str, tuple[bool, ...]]] = {
    "lang": ("lang:en", ANYONE),
    "r": ("r:2:118.6", ANYONE),
    "l": ("{list}", ANYONE),
    "sp": ("sp:1", ANYONE),
    "te": ("te:{rec}", COORDINATORS),
    "tt": ("tt:{rec}:{theme}", COORDINATORS),
    "og": ("og:{spare_org}", COORDINATORS_PRIVATE),
    "oa": ("oa:{spare_org}:0", COORDINATORS_PRIVATE),
    "oe": ("oe:{spare_org}", COORDINATORS_PRIVATE),
    "oi": ("oi:{spare_org}", COORDINATORS_PRIVATE),
    "om": ("om", COORDINATORS_PRIVATE),
    "or": ("or:{spare_org}", COORDINATORS_PRIVATE),
    "ot": ("ot:{spare_org}:{group}", COORDINATORS_PRIVATE),
    "ou": ("ou:{spare_org}:3003", COORDINATORS_PRIVATE),
    "ow": ("ow:{spare_org}", COORDINATORS_PRIVATE),
    "ox": ("ox:{spare_org}", COORDINATORS_PRIVATE),
    "iv": ("iv:{invite}", COORDINATORS),
    "lg": ("lg:{group}", COORDINATORS_GROUP),
    "cl": ("cl:en", COORDINATORS_GROUP),
    "gl": ("gl:{group}", MEMBERS),
    "gla": ("gla:{group}", COORDINATORS),  # and members, once coordinators allow it
    "glr": ("glr:{group}", COORDINATORS),
    "glm": ("glm:{group}", COORDINATORS),
    "vr": ("vr:{open}:{rec}", RATERS),
    "vo": ("vo:{open}:{rec}", RATERS),
    "vg": ("vg:{open}:{rec}", RATERS),
    "vu": ("vu:{open}:{rec}", RATERS),
    "rk": ("rk:{open}:{rec}", RATERS),
    "rv": ("rv:{open}:{rec}", RATERS),
    "rw": ("rw:{open}:{rec}", RATERS),
    "rx": ("rx:{open}:{rec}", RATERS),
    "ru": ("ru:{open}:{rec}:1", RATERS_PRIVATE),
    "rn": ("rn:{open}", RATERS_PRIVATE),
    "rq": ("rq:{published}:0:0", MEMBERS),
    "pnv": ("pnv:{published}", MEMBERS),
    "pnx": ("pnx:{published}", MEMBERS),
    "rp": ("rp:1:0", COORDINATORS_PRIVATE),
    "rpc": ("rpc:1:2", COORDINATORS_PRIVATE),
    "cc": ("cc:2", COORDINATORS),
    "rac": ("rac:{spare_round}", COORDINATORS_PRIVATE),
    "rao": ("rao:{spare_round}", COORDINATORS_PRIVATE),
    "rap": ("rap:{spare_round}", COORDINATORS_PRIVATE),
    "rar": ("rar:{spare_round}", COORDINATORS_PRIVATE),
    "rav": ("rav:{spare_round}", COORDINATORS_PRIVATE),
    "rax": ("rax:{spare_round}", COORDINATORS_PRIVATE),
    "bc": ("bc:a:1", COORDINATORS_PRIVATE),
    "bp": ("bp:1:audience", COORDINATORS_PRIVATE),  # another page of the organisations
    "bb": ("bb:r:1", COORDINATORS_PRIVATE),
    "bk": ("bk:1:202611230200", ANYONE),  # "Got it" under a broadcast
    # A nudge's answers: the responsible organisation's representatives and coordinators.
    "nsd": ("nsd:{action}", RESPONSIBLE),
    "nsp": ("nsp:{action}", RESPONSIBLE),
    "nsb": ("nsb:{action}", RESPONSIBLE),
    "nst": ("nst:{action}", RESPONSIBLE),
    "sg": ("sg:{group}:0", MEMBERS),
    "sk": ("sk:1", MEMBERS),
    "lp": ("lp:1", COORDINATORS_GROUP),  # another page of /linkgroup's working groups
    "wp": ("wp:1", COORDINATORS_PRIVATE),  # another page of /groups
    "gp": (
        "gp:1",
        MEMBERS,
    ),  # another page of /grouprecs' working groups  # another page of /strategy's working groups
    "sa": ("sa:{action}:0", MEMBERS),
    "ax": ("ax:{action}", MEMBERS),
    "sv": ("sv:{rec}", MEMBERS),  # the actions serving a recommendation: /strategy's rule
    "rad": ("rad:{spare_round}", COORDINATORS_PRIVATE),
    "rae": ("rae:{open}", COORDINATORS_PRIVATE),  # it has a rating: refused, but not for access
    "rab": ("rab:{spare_round}", COORDINATORS_PRIVATE),
    "rag": ("rag:{spare_round}", COORDINATORS_PRIVATE),  # the round's panel
    "ral": ("ral:{spare_round}", COORDINATORS_PRIVATE),  # back to the list
    "rak": ("rak:{spare_round}", COORDINATORS_PRIVATE),  # the questions' [Yes]
    "ran": (
        "ran:{spare_round}",
        COORDINATORS_PRIVATE,
    ),  # reopen an open round: refused, not for access
    "rau": ("rau:{spare_round}", COORDINATORS_PRIVATE),
    "ram": ("ram:{spare_round}", COORDINATORS_PRIVATE),  # 🔔 remind those behind
    "rs": ("rs:{published}", MEMBERS),  # [Results] beside a published round
    "cp": ("cp:{published}:{published}:0", MEMBERS),  # /compare by buttons
    "rg": ("rg:999:x", COORDINATORS),  # a step of opening a round through buttons
    "rd": ("rd:999:0", COORDINATORS),
    "rr": ("rr:{open}", MEMBERS),
    # Adding and editing actions: coordinators, in their private chat.
    "ae": ("ae:{action}:0", COORDINATORS_PRIVATE),
    "af": ("af:{action}:k", COORDINATORS_PRIVATE),
    "an": ("an:{group}", COORDINATORS_PRIVATE),
    "ad": ("ad:999:x", COORDINATORS_PRIVATE),
    "ap": ("ap:999:1", COORDINATORS_PRIVATE),  # another page of an action's organisations
    "mc": ("mc:4", COORDINATORS),  # correcting a milestone
    "hm": ("hm", ANYONE),  # [More] under /help: the presser's own role's full help
    "ex": ("ex:0", ANYONE),  # a look-up example under a guest's /start
    "rl": ("rl", MEMBERS),  # [Rounds] under a coordinator's /start
    "au": ("au:1", COORDINATORS_PRIVATE),  # a page of /audit
    "tq": ("tq:x", TRANSLATORS),  # /translate's ✖ Stop
    "tx": ("tx:0", TRANSLATORS),  # /translations' CSV
    "tr": ("tr:0:3003", COORDINATORS_PRIVATE),  # /translators' ✖
    "tp": ("tp:0:1", COORDINATORS_PRIVATE),  # another page of /translators
    "ro": ("ro:1", MEMBERS),  # another page of /rounds
    "rc": ("rc:1", MEMBERS),  # another page of /results' round buttons
    "cq": ("cq:0:0:1", MEMBERS),  # another page of /compare's round buttons
    "op": ("op:{spare_org}:1", COORDINATORS_PRIVATE),  # another page of an organisation's groups
    "oq": ("oq:{spare_org}:1", COORDINATORS_PRIVATE),  # another page of its representatives
}

# Each persona's role, kind of chat (private: True) and whether they were appointed a
# translator, for the menus and /help.
PERSONA_ROLES: dict[str, tuple[Role, bool, bool]] = {
    "guest": (Role.GUEST, True, False),
    "member of another organisation": (Role.MEMBER, True, False),
    "member of an inactive organisation": (Role.GUEST, True, False),
    "coordinator in a group": (Role.COORDINATOR, False, False),
    "coordinator in private": (Role.COORDINATOR, True, False),
    "representative in a group": (Role.MEMBER, False, False),
    "translator (not a member)": (Role.GUEST, True, True),
    "member who is also a translator": (Role.MEMBER, True, True),
}


def test_every_command_and_button_has_a_row() -> None:
    """A command or button prefix added to the registries must say who may use it."""
    assert {c.name for c in COMMANDS} == set(COMMAND_ROWS)
    prefixes = [p for b in BUTTONS for p in b.prefixes]
    assert len(prefixes) == len(set(prefixes)), "a prefix is registered twice"
    assert set(prefixes) == set(BUTTON_ROWS)


def test_menus_and_help_list_exactly_the_commands_the_matrix_allows() -> None:
    """What the registry lists for a role in a kind of chat (its command menu, its /help) is
    what the bot lets it do there: nothing refused is offered, nothing usable is hidden."""
    assert list(PERSONA_ROLES) == list(PERSONAS)
    for column, (name, (role, private, translator)) in enumerate(PERSONA_ROLES.items()):
        listed = {c.name for c in commands_for(role, private, translator)}
        allowed = {command for command, (_, who) in COMMAND_ROWS.items() if who[column]}
        assert listed == allowed, name


async def _coalition(services: Services) -> dict[str, Any]:
    """Organisations (one rated, one of the personas', one inactive, one spare) and rounds."""
    coalition, assessments = services.coalition, services.assessments
    ids: dict[str, Any] = {}
    members = (("OWNER", OWNER), ("OTHER", MEMBER), ("PAUSED", INACTIVE))
    for short, person in (*members, ("BOTH", TRANSLATING_MEMBER)):
        invite = await coalition.add_organisation(COORDINATOR_ID, short, f"{short} org")
        await coalition.join(person["id"], person["first_name"], "en", invite.code)
        ids[short] = invite.organisation.id
    for translator in (TRANSLATOR, TRANSLATING_MEMBER):
        await services.translating.appoint(COORDINATOR_ID, translator["id"])
    await coalition.set_active(COORDINATOR_ID, ids["PAUSED"], False)
    spare = await coalition.add_organisation(COORDINATOR_ID, "SPARE", "Spare org")
    ids["spare_org"], ids["invite"] = spare.organisation.id, spare.id
    land = next(g for g in await coalition.working_groups() if g.slug == "land")
    ids["group"] = land.id
    await coalition.link_chat(COORDINATOR_ID, GROUP["id"], 0, land.id, GROUP["title"])
    tz = services.settings.timezone
    scope = parse_scope("c2 118.1-118.5", services.catalog, tz, services.clock.now().date())
    rec = scope.recommendation_ids[0]
    ids["rec"], ids["theme"] = rec, services.catalog.themes[0].id
    ids["published"] = await assessments.open_round(COORDINATOR_ID, "Published", scope)
    await assessments.rate(OWNER["id"], ids["published"], rec, Colour.RED)
    await assessments.set_open(COORDINATOR_ID, ids["published"], False)
    await assessments.publish(COORDINATOR_ID, ids["published"])
    ids["spare_round"] = await assessments.open_round(COORDINATOR_ID, "Spare", scope)
    ids["open"] = await assessments.open_round(COORDINATOR_ID, "Open", scope)
    await assessments.rate(OWNER["id"], ids["open"], rec, Colour.RED)
    ids["list"] = list_data(SearchRequest(theme_id=ids["theme"]), "", 0)
    draft = ActionDraft(land.id, 2, "118.6", activity="Matrix", timeframe="2030")
    draft = replace(draft, organisation_ids=(ids["OWNER"],))
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    ids["action"] = action.id
    return ids


class Finished:
    """Which updates the bot has completely handled (a handler after all the others)."""

    def __init__(self) -> None:
        self.updates: set[int] = set()
        self.presses: set[str] = set()
        self.changed = asyncio.Event()

    async def record(self, update: Update, context: object) -> None:
        self.updates.add(update.update_id)
        if update.callback_query is not None:
            self.presses.add(update.callback_query.id)
        self.changed.set()

    async def wait(self, *, update: int | None = None, press: str | None = None) -> None:
        async with asyncio.timeout(5):
            while update not in self.updates and press not in self.presses:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def matrix_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[BotApplication, Finished]]:
    """The real bot without flood limits, its own or Telegram's: the matrix sends a few hundred
    updates and answers (the limits have their own tests)."""
    settings = make_settings(tg, db_path, rate_limit_per_minute=1_000_000)
    async with running(settings, clock, poll_timeout=1) as app:
        monkeypatch.setattr(app.bot, "_rate_limiter", None)
        finished = Finished()
        app.add_handler(TypeHandler(Update, finished.record), group=99)
        yield app, finished
    refused = [(c.method, c.error) for c in tg.calls if c.error and "not modified" not in c.error]
    assert refused == []


async def _persona(
    tg: FakeTelegram, finished: Finished, ids: dict[str, Any], column: int, l10n: Localizer
) -> list[str]:
    """One kind of user sends every command and presses every button, in their own chat."""
    name, (user, chat) = list(PERSONAS.items())[column]
    chat_id = str((chat or user)["id"])
    refusals = {refusal_text(l10n, r) for r in Refusal}
    wrong = []

    def verdict(action: str, allowed: tuple[bool, ...], answer: str) -> None:
        if (answer not in refusals) != allowed[column]:
            expected = "work" if allowed[column] else "be refused"
            wrong.append(f"{action} by {name} should {expected}; it said {answer!r}")

    await tg.send("/help", user=user, chat=chat)
    help_call = await tg.next_call("sendMessage", chat_id=chat_id)
    anchor = tg.messages[(int(chat_id), help_call.result["message_id"])]  # buttons go here
    for command in COMMANDS:
        text, allowed = COMMAND_ROWS[command.name]
        since = len(tg.calls)
        await finished.wait(update=await tg.send(text.format(**ids), user=user, chat=chat))
        said = [
            str(c.params.get("text", ""))
            for c in tg.calls[since:]
            if c.method in ("sendMessage", "sendDocument") and c.params["chat_id"] == chat_id
        ]
        assert said, f"/{command.name} by {name}: no answer"
        verdict(f"/{command.name}", allowed, said[0])
        if column == IN_GROUP_NOT_COORDINATOR:  # whom a member represents stays private
            named = [o for o in ORGANISATIONS for text in said if re.search(rf"\b{o}\b", text)]
            if named:
                wrong.append(f"/{command.name} by {name} named {named} in the group")
    for button in BUTTONS:
        for prefix in button.prefixes:
            data, allowed = BUTTON_ROWS[prefix]
            # On a message carrying that button (forged data on another has its own tests).
            sent = data.format(**ids)
            query = await tg.press(tg.carrying(anchor, sent), sent, user=user)
            await finished.wait(press=query)
            answer = await tg.next_call("answerCallbackQuery", callback_query_id=query)
            text = str(answer.params.get("text", ""))
            assert text != stale(l10n), f"the sample data for {prefix} is stale"
            verdict(prefix, allowed, text)
    return wrong


async def test_role_by_action_matrix(
    tg: FakeTelegram, matrix_bot: tuple[BotApplication, Finished]
) -> None:
    bot, finished = matrix_bot
    services: Services = bot.bot_data["services"]
    ids = await _coalition(services)
    l10n = services.translations.localizer("en")
    # The kinds of user in their own chats act at the same time.
    alone = [c for c in range(len(PERSONAS)) if c != IN_GROUP_NOT_COORDINATOR]
    wrong = await asyncio.gather(*(_persona(tg, finished, ids, column, l10n) for column in alone))
    # After the coordinator in the group: answers in one chat are told apart by order.
    wrong.append(await _persona(tg, finished, ids, IN_GROUP_NOT_COORDINATOR, l10n))
    assert [w for found in wrong for w in found] == []
