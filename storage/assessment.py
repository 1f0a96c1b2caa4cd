"""Assessment rounds, ratings (with history), the rating cards posted in group chats, and the
private rating flow's reason prompts and skips (which expire)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter

import aiosqlite

from bot.domain.assessment import (
    Card,
    Colour,
    Distribution,
    NotInRound,
    PendingReason,
    PromptOrigin,
    Rating,
    ReasonAsk,
    ReasonsForm,
    Round,
    RoundClosed,
    RoundDraft,
    Said,
    TableReads,
    name_ranks,
)
from bot.domain.audit import AuditAction
from bot.domain.membership import MembershipPaused, NotAllowed
from bot.domain.outbox import Content, Outgoing
from bot.domain.round_audience import AudienceRule, Share
from bot.domain.round_guide import Guide
from storage import audit, expiring, outbox
from storage.db import Database, Memo, Writer

_DRAFT = (
    "SELECT id, user_id, name, cycle, scope, recommendation_ids, closes_at, guide, "
    "opened_round, cancelled FROM round_drafts"
)
_WAITING = "opened_round IS NULL AND NOT cancelled"  # neither opened nor cancelled yet


def _draft(row: Sequence[object]) -> RoundDraft:
    return RoundDraft(
        int(str(row[0])),
        int(str(row[1])),
        str(row[2]),
        int(str(row[3])),
        str(row[4]),
        tuple(int(i) for i in json.loads(str(row[5]))),
        dt.datetime.fromisoformat(str(row[6])) if row[6] else None,
        Guide.from_json(str(row[7])) if row[7] else None,
        int(str(row[8])) if row[8] else None,
        bool(row[9]),
    )


# Stages a round's notices for the outbox, inside the transaction that makes the event.
Announce = Callable[[int], None]

# A burst of ✍ presses must not grow the table: a person's oldest prompts beyond this go.
PROMPTS_PER_PERSON = 50


_COLOURS = {c.value: c for c in Colour}


_ROUND = (
    "SELECT r.id, r.name, r.cycle, r.scope, r.closes_at, r.status, r.published_at, "
    "(SELECT COUNT(*) FROM round_items AS i WHERE i.round_id = r.id) FROM rounds AS r"
)


# Taken when a round closes (see migration 9): what its working groups' tables and every
# "N of M took part" are computed from afterwards. Eligible: the active organisations (of the
# group); rated: those of them with a rating in the round.
_FREEZE = (
    "INSERT INTO frozen_group_items SELECT i.round_id, w.working_group_id, i.recommendation_id "
    "FROM round_items AS i JOIN working_group_recommendations AS w "
    "ON w.recommendation_id = i.recommendation_id AND w.included = 1 WHERE i.round_id = :r",
    "INSERT INTO frozen_group_ratings SELECT t.round_id, m.working_group_id, t.id "
    "FROM ratings AS t JOIN organisation_groups AS m ON m.organisation_id = t.organisation_id "
    "WHERE t.round_id = :r",
    "INSERT INTO frozen_participation SELECT :r, g.id, (SELECT COUNT(DISTINCT t.organisation_id) "
    "FROM ratings AS t JOIN organisations AS o ON o.id = t.organisation_id AND o.active = 1 "
    "JOIN organisation_groups AS m ON m.organisation_id = o.id AND m.working_group_id = g.id "
    "WHERE t.round_id = :r), (SELECT COUNT(*) FROM organisations AS o JOIN organisation_groups "
    "AS m ON m.organisation_id = o.id AND m.working_group_id = g.id WHERE o.active = 1), "
    "(SELECT COUNT(DISTINCT t.organisation_id) FROM ratings AS t JOIN organisations AS o "
    "ON o.id = t.organisation_id AND o.active = 0 JOIN organisation_groups AS m "
    "ON m.organisation_id = o.id AND m.working_group_id = g.id WHERE t.round_id = :r) "
    "FROM working_groups AS g",
)
# The paused organisations (of the coalition: :g 0, or of one working group) that rated in
# the round: their ratings count in its results, they are not in its "N of M took part".
_PAUSED_RATERS = (
    "SELECT COUNT(DISTINCT t.organisation_id) FROM ratings AS t JOIN organisations AS o "
    "ON o.id = t.organisation_id AND o.active = 0 WHERE t.round_id = :r AND (:g = 0 OR o.id "
    "IN (SELECT organisation_id FROM organisation_groups WHERE working_group_id = :g))"
)
# The round's audience (bot/domain/round_audience.py), one row per audience organisation:
# (id, short name, its own recommendations, how many of them it rated, rated anything?).
# :r the round (0: none yet), :items its recommendations before it exists (JSON), :rec one
# recommendation only and :org one organisation only (or NULL), :everyone and :ungrouped the
# rule. A closed round's groups'
# lists are those at the close; membership is today's.
_LISTED = (
    "WITH items(rec) AS (SELECT recommendation_id FROM round_items WHERE round_id = :r "
    "UNION SELECT value FROM json_each(:items)), "
    "listed(g, rec) AS (SELECT working_group_id, recommendation_id FROM frozen_group_items "
    "WHERE round_id = :r UNION SELECT w.working_group_id, i.rec FROM items AS i "
    "JOIN working_group_recommendations AS w ON w.recommendation_id = i.rec AND w.included = 1 "
    "WHERE NOT EXISTS (SELECT 1 FROM frozen_participation WHERE round_id = :r "
    "AND working_group_id = 0))"
)
# What a rating of `ratings AS r` says in a reasons cell ('ADHOC: 🔴 No law yet.', '🔴 No law
# yet.'), from its organisation's row in `temp.entry_keys` (`_entry_keys`: k, found by its
# rowid): the text before its reason, by colour, and its reason after a space (a stored reason
# never ends in whitespace: `_set_reason`, migration 38); then, in a form that has one (the
# name after the reason), the text after it: every other form is spared a concatenation per
# rating.
_CELLS_WITH = (
    "WITH frozen(yes) AS (SELECT EXISTS (SELECT 1 FROM frozen_participation "
    "WHERE round_id = :r AND working_group_id = 0)), "
    "wanted(g) AS (SELECT value FROM json_each(:wanted)) "
)
_KEYED = "JOIN temp.entry_keys AS k ON k.org = coalesce(r.organisation_id, 0) "
_ENTRY = (
    "CASE r.colour WHEN 'red' THEN k.red WHEN 'orange' THEN k.orange WHEN 'green' THEN k.green "
    "ELSE k.unknown END || CASE WHEN r.reason = '' THEN '' ELSE ' ' || r.reason END"
)
_TAILED = {False: _ENTRY, True: f"{_ENTRY} || k.tail"}  # by whether any tail is not empty
_SAYS = "(r.reason <> '' OR k.named)"  # the ratings that say something: a reason, or a name
# By the name's place (an erased organisation's last when named), then by organisation (an
# erased one's first), then by rating.
_ENTRY_ORDER = "k.n, r.organisation_id, r.id"
# Each recommendation's reasons cell (the whole coalition's): its entries joined by
# group_concat. SQLite before 3.44 has no ORDER BY inside an aggregate: each cell is one
# aggregate without GROUP BY over a subquery with ORDER BY, which is not flattened and hands its
# rows over in that order (no sorter between them, as a GROUP BY would put).
_REASONS_CELLS = {
    tails: f"{_CELLS_WITH}SELECT i.recommendation_id, (SELECT group_concat(entry, :sep) FROM ("  # noqa: S608 (constants only)
    f"SELECT {entry} AS entry FROM ratings AS r {_KEYED}"
    f"WHERE r.round_id = :r AND r.recommendation_id = i.recommendation_id AND {_SAYS} "
    f"ORDER BY {_ENTRY_ORDER})) FROM round_items AS i WHERE i.round_id = :r"
    for tails, entry in _TAILED.items()
}
# The wanted working groups' entries in one pass, in cell order (by group, recommendation,
# then as above), for the cells to be joined as they come: the ratings each group counts (its
# members' at the close, frozen_group_ratings, else today's), on its list (as at the close).
_GROUP_ENTRIES = {
    tails: f"{_CELLS_WITH}, listed(g, rec) AS (SELECT working_group_id, recommendation_id "  # noqa: S608 (constants only)
    "FROM frozen_group_items WHERE round_id = :r AND working_group_id IN wanted "
    "AND (SELECT yes FROM frozen) UNION ALL SELECT w.working_group_id, i.recommendation_id "
    "FROM round_items AS i JOIN working_group_recommendations AS w "
    "ON w.recommendation_id = i.recommendation_id AND w.included = 1 "
    "WHERE i.round_id = :r AND w.working_group_id IN wanted AND NOT (SELECT yes FROM frozen)), "
    "counted(g, id) AS (SELECT working_group_id, rating_id FROM frozen_group_ratings "
    "WHERE round_id = :r AND working_group_id IN (SELECT g FROM listed) "
    "AND (SELECT yes FROM frozen) UNION ALL SELECT m.working_group_id, r.id "
    "FROM organisation_groups AS m JOIN ratings AS r ON r.organisation_id = m.organisation_id "
    "AND r.round_id = :r WHERE m.working_group_id IN (SELECT g FROM listed) "
    "AND NOT (SELECT yes FROM frozen)) "
    f"SELECT c.g, r.recommendation_id, {entry} FROM counted AS c "
    f"JOIN ratings AS r ON r.id = c.id {_KEYED}WHERE {_SAYS} "
    "AND (c.g, r.recommendation_id) IN (SELECT g, rec FROM listed) "
    f"ORDER BY c.g, r.recommendation_id, {_ENTRY_ORDER}"
    for tails, entry in _TAILED.items()
}
_AUDIENCE = (
    f"{_LISTED}, chosen(rec) AS (SELECT rec FROM items WHERE :rec IS NULL OR rec = :rec), "  # noqa: S608 (constants only)
    # Each active organisation, and whether it counts all of the round (the rule's "whole").
    "people(id, short, whole) AS (SELECT o.id, o.short_name, :everyone OR (:ungrouped AND "
    "NOT EXISTS (SELECT 1 FROM organisation_groups AS m WHERE m.organisation_id = o.id)) "
    "FROM organisations AS o WHERE o.active = 1 AND (:org IS NULL OR o.id = :org)), "
    # A group member's own recommendations (its groups' lists) and how many of them it rated.
    "grouped(org, total, rated) AS (SELECT m.organisation_id, COUNT(DISTINCT l.rec), "
    "COUNT(DISTINCT t.recommendation_id) FROM organisation_groups AS m "
    "JOIN listed AS l ON l.g = m.working_group_id JOIN chosen AS c ON c.rec = l.rec "
    "LEFT JOIN ratings AS t ON t.round_id = :r AND t.recommendation_id = l.rec "
    "AND t.organisation_id = m.organisation_id WHERE NOT :everyone "
    "AND (:org IS NULL OR m.organisation_id = :org) GROUP BY m.organisation_id) "
    "SELECT p.id, p.short, CASE WHEN p.whole THEN (SELECT COUNT(*) FROM chosen) "
    # An organisation counting all: how many it rated (every rating of a round is on its
    # list), or whether it rated the one recommendation; each an index lookup.
    "ELSE g.total END AS total, CASE WHEN NOT p.whole THEN g.rated WHEN :rec IS NULL THEN "
    "(SELECT COUNT(*) FROM ratings AS t WHERE t.round_id = :r AND t.organisation_id = p.id) "
    "ELSE EXISTS (SELECT 1 FROM ratings AS t WHERE t.round_id = :r "
    "AND t.recommendation_id = :rec AND t.organisation_id = p.id) END AS rated, "
    "EXISTS (SELECT 1 FROM ratings AS t WHERE t.round_id = :r AND t.organisation_id = p.id) "
    "AS took FROM people AS p LEFT JOIN grouped AS g ON g.org = p.id "
    "WHERE CASE WHEN p.whole THEN (SELECT COUNT(*) FROM chosen) ELSE g.total END > 0"
)
# The whole coalition's "N of M took part" at the close: the audience's.
_FREEZE_AUDIENCE = (
    "INSERT INTO frozen_participation SELECT :r, 0, COALESCE(SUM(a.took), 0), COUNT(*), "  # noqa: S608 (constants only)
    f"({_PAUSED_RATERS.replace(':g', '0')}) FROM ({_AUDIENCE}) AS a"  # the whole coalition's
)
_THAW = (
    "DELETE FROM frozen_group_items WHERE round_id = :r",
    "DELETE FROM frozen_group_ratings WHERE round_id = :r",
    "DELETE FROM frozen_participation WHERE round_id = :r",
)
# A round is frozen (closed) when its whole-coalition row (working group 0) exists: the reads
# below take the snapshot then, else today's data.


def _audience_params(
    round_id: int,
    rule: AudienceRule,
    items: Sequence[int] = (),
    recommendation_id: int | None = None,
    organisation_id: int | None = None,
) -> dict[str, object]:
    return {
        "r": round_id,
        "items": json.dumps(list(items)),
        "rec": recommendation_id,
        "org": organisation_id,
        "everyone": int(rule.everyone),
        "ungrouped": int(rule.ungrouped),
    }


async def _freeze(
    db: aiosqlite.Connection, round_id: int, frozen: bool, rule: AudienceRule | None = None
) -> None:
    """Take a round's snapshot at its close (its audience by `rule`), or drop it when it
    reopens."""
    for statement in _THAW + (_FREEZE if frozen else ()):
        await db.execute(statement, {"r": round_id})
    if frozen:
        # Without the domain's rule (a direct call): every active organisation, as before.
        rule = rule or AudienceRule(everyone=True)
        await db.execute(_FREEZE_AUDIENCE, _audience_params(round_id, rule))


async def _insert_round(
    db: aiosqlite.Connection,
    name: str,
    cycle: int,
    scope: str,
    recommendation_ids: Sequence[int],
    closes_at: dt.datetime | None,
    actor: int,
    now: dt.datetime,
) -> int:
    """Write an open round, its recommendations and the audit row; the round's id."""
    cursor = await db.execute(  # an id above every round's ever, deleted ones' too
        "INSERT INTO rounds (id, name, cycle, scope, closes_at, status, created_by, created_at) "
        "VALUES ((SELECT MAX(id) + 1 FROM (SELECT MAX(id) AS id FROM rounds "
        "UNION ALL SELECT MAX(id) FROM retired_rounds)), ?, ?, ?, ?, 'open', ?, ?)",
        (name, cycle, scope, closes_at.isoformat() if closes_at else None, actor, now.isoformat()),
    )
    round_id = int(cursor.lastrowid or 0)
    await db.executemany(
        "INSERT INTO round_items (round_id, recommendation_id) VALUES (?, ?)",
        [(round_id, rec_id) for rec_id in recommendation_ids],
    )
    await audit.record(db, now, actor, AuditAction.OPEN_ROUND, None, f"{round_id}: {name}")
    return round_id


def _distribution(found: Mapping[Colour, int]) -> Distribution:
    return Distribution(
        found.get(Colour.RED, 0),
        found.get(Colour.ORANGE, 0),
        found.get(Colour.GREEN, 0),
        found.get(Colour.UNKNOWN, 0),
    )


def _reasons_cells(
    conn: sqlite3.Connection, round_id: int, form: ReasonsForm, named: bool, wanted: Sequence[int]
) -> dict[int, dict[int, str]]:
    """Each recommendation's reasons cell in `form` for the `wanted` tables (0: the whole
    coalition's, by one aggregate each; a working group's id: its own, its entries in one
    ordered pass, joined as they come)."""
    tails = _entry_keys(conn, round_id, form, named)
    params = {"r": round_id, "wanted": json.dumps([g for g in wanted if g]), "sep": form.separator}
    cells: dict[int, dict[int, str]] = {}
    if 0 in wanted:
        written = conn.execute(_REASONS_CELLS[tails], params)  # None: nothing said
        cells[0] = {rec_id: cell for rec_id, cell in written if cell is not None}
    if any(wanted):
        join = form.separator.join
        entries = conn.execute(_GROUP_ENTRIES[tails], params)
        for (group_id, rec_id), said in groupby(entries, key=itemgetter(0, 1)):
            cells.setdefault(group_id, {})[rec_id] = join([entry for _, _, entry in said])
    return cells


def _distributions(conn: sqlite3.Connection, round_id: int) -> dict[int, Distribution]:
    """The whole coalition's distribution of each rated recommendation: one aggregate, counted
    in the index of colours (migration 38), no rating read."""
    counts: dict[int, dict[Colour, int]] = {}
    for rec_id, colour, count in conn.execute(
        "SELECT recommendation_id, colour, COUNT(*) FROM ratings WHERE round_id = ? "
        "GROUP BY recommendation_id, colour",
        (round_id,),
    ):
        counts.setdefault(rec_id, {})[_COLOURS[colour]] = count
    return {rec_id: _distribution(found) for rec_id, found in counts.items()}


# Every working group's own counts (`group_items` and `group_ratings` for all groups at once):
# (group, recommendation on its list, colour, how many), colour and count NULL for none.
_GROUP_COUNTS = (
    "WITH frozen(yes) AS (SELECT EXISTS (SELECT 1 FROM frozen_participation "
    "WHERE round_id = :r AND working_group_id = 0)), "
    "listed(g, rec) AS (SELECT working_group_id, recommendation_id FROM "
    "frozen_group_items WHERE round_id = :r UNION SELECT w.working_group_id, "
    "i.recommendation_id FROM round_items AS i JOIN working_group_recommendations AS w "
    "ON w.recommendation_id = i.recommendation_id AND w.included = 1 "
    "WHERE i.round_id = :r AND NOT (SELECT yes FROM frozen)), "
    # Counted before the join: the join then meets a few rows per recommendation.
    "counted(g, rec, colour, n) AS (SELECT f.working_group_id, r.recommendation_id, "
    "r.colour, COUNT(*) FROM frozen_group_ratings AS f JOIN ratings AS r "
    # Only the groups with a list: the others' ratings are never shown.
    "ON r.id = f.rating_id WHERE f.round_id = :r AND (SELECT yes FROM frozen) "
    "AND f.working_group_id IN (SELECT g FROM listed) GROUP BY 1, 2, 3 UNION ALL "
    "SELECT m.working_group_id, r.recommendation_id, r.colour, "
    "COUNT(*) FROM ratings AS r JOIN organisation_groups AS m "
    "ON m.organisation_id = r.organisation_id WHERE r.round_id = :r "
    "AND NOT (SELECT yes FROM frozen) AND m.working_group_id IN (SELECT g FROM listed) "
    "GROUP BY 1, 2, 3) "
    "SELECT l.g, l.rec, c.colour, c.n FROM listed AS l "
    "LEFT JOIN counted AS c ON c.g = l.g AND c.rec = l.rec"
)


def _group_distributions(
    conn: sqlite3.Connection, round_id: int
) -> dict[int, dict[int, Distribution]]:
    """Every working group's own distributions in one aggregate: by group, by recommendation
    on its list (lists and members as at the close)."""
    counts: dict[int, dict[int, dict[Colour, int]]] = {}
    for group_id, rec_id, colour, count in conn.execute(_GROUP_COUNTS, {"r": round_id}):
        found = counts.setdefault(group_id, {}).setdefault(rec_id, {})
        if colour is not None:
            found[Colour(colour)] = count
    return {
        group_id: {rec_id: _distribution(found) for rec_id, found in by_rec.items()}
        for group_id, by_rec in counts.items()
    }


def _entry_keys(conn: sqlite3.Connection, round_id: int, form: ReasonsForm, named: bool) -> bool:
    """`temp.entry_keys` on this connection (made again): for each organisation its place
    (`name_ranks` when `named`) and the text before (by colour) and after its reason in `form`,
    its name only when `named` and it has one; an erased organisation's (0), and one whose row
    is missing though the round's ratings name it (deleted by hand), without a name, last when
    named (as `said` shows them). Whether any text after a reason is not empty."""
    names = conn.execute("SELECT id, short_name FROM organisations").fetchall()
    ranks = name_ranks(names) if named else {}
    rated = conn.execute(
        "SELECT DISTINCT organisation_id FROM ratings WHERE round_id = ? "
        "AND organisation_id IS NOT NULL",
        (round_id,),
    )
    missing = {org for (org,) in rated} - {org for org, _ in names}
    conn.execute("DROP TABLE IF EXISTS temp.entry_keys")
    conn.execute(
        "CREATE TEMP TABLE entry_keys (org INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
        "red TEXT NOT NULL, orange TEXT NOT NULL, green TEXT NOT NULL, unknown TEXT NOT NULL, "
        "tail TEXT NOT NULL, named INTEGER NOT NULL)"
    )
    keys = [(org, ranks.get(org, 0), (name or None) if named else None) for org, name in names]
    keys += [(org, len(ranks), None) for org in (0, *missing)]
    rows = [(org, place, *_around(form, label), label is not None) for org, place, label in keys]
    conn.executemany("INSERT INTO temp.entry_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return any(row[6] for row in rows)


def _around(form: ReasonsForm, label: str | None) -> tuple[str, str, str, str, str]:
    """The text before a reason in `form`, for each colour (red, orange, green, unknown), and
    after it, for an organisation of this name (None: no name shown)."""
    after = ""
    if label is None:
        head = ""
    elif form.label_first:
        head, after = f"{form.before}{label}{form.between}", form.after
    else:
        head, after = form.before, f"{form.between}{label}{form.after}"
    red, orange, green, unknown = (head + colour.emoji for colour in _KEY_COLOURS)
    return red, orange, green, unknown, after


_KEY_COLOURS = (Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.UNKNOWN)  # entry_keys' order


def _round(r: aiosqlite.Row) -> Round:
    return Round(
        r[0],
        r[1],
        r[2],
        r[3],
        dt.datetime.fromisoformat(r[4]) if r[4] else None,
        r[5] == "open",
        r[6] is not None,
        r[7],
        dt.datetime.fromisoformat(r[6]) if r[6] else None,
    )


class AssessmentRepository:
    """Reads and writes rounds and ratings."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database
        self._rounds: Memo[int, Round | None] = Memo(database)

    async def open_round(
        self,
        name: str,
        cycle: int,
        scope: str,
        recommendation_ids: Sequence[int],
        closes_at: dt.datetime | None,
        *,
        actor: int,
        now: dt.datetime,
    ) -> int:
        """Create an open round over a fixed list of recommendations."""
        async with self._db.transaction() as db:
            return await _insert_round(
                db, name, cycle, scope, recommendation_ids, closes_at, actor, now
            )

    async def add_draft(
        self,
        user_id: int,
        name: str,
        cycle: int,
        scope: str,
        recommendation_ids: Sequence[int],
        closes_at: dt.datetime | None,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> int:
        """Keep a round awaiting its coordinator's [Open] until it expires; its id."""
        async with self._db.transaction() as db:
            await expiring.expire(db, now)
            cursor = await db.execute(
                "INSERT INTO round_drafts (user_id, name, cycle, scope, recommendation_ids, "
                "closes_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    name,
                    cycle,
                    scope,
                    json.dumps(list(recommendation_ids)),
                    closes_at.isoformat() if closes_at else None,
                    expires.isoformat(),
                ),
            )
            return int(cursor.lastrowid or 0)

    async def draft(self, draft_id: int, now: dt.datetime) -> RoundDraft | None:
        """A draft round that has not expired, neither opened nor cancelled, or None."""
        async with self._db.connection.execute(
            f"{_DRAFT} WHERE id = ? AND expires_at > ? AND {_WAITING}", (draft_id, now.isoformat())
        ) as cursor:
            row = await cursor.fetchone()
        return _draft(row) if row else None

    async def settled_draft(self, draft_id: int, now: dt.datetime) -> RoundDraft | None:
        """A draft round that has not expired, whatever became of it (opened, cancelled)."""
        async with self._db.connection.execute(
            f"{_DRAFT} WHERE id = ? AND expires_at > ?", (draft_id, now.isoformat())
        ) as cursor:
            row = await cursor.fetchone()
        return _draft(row) if row else None

    async def add_guide(
        self, user_id: int, guide: str, *, expires: dt.datetime, now: dt.datetime
    ) -> int:
        """Keep a round being opened through buttons (its guide as JSON) until it expires."""
        async with self._db.transaction() as db:
            await expiring.expire(db, now)
            cursor = await db.execute(
                "INSERT INTO round_drafts (user_id, name, cycle, scope, recommendation_ids, "
                "expires_at, guide) VALUES (?, '', 0, '', '[]', ?, ?)",
                (user_id, expires.isoformat(), guide),
            )
            return int(cursor.lastrowid or 0)

    async def update_guide(self, draft_id: int, guide: str, *, expires: dt.datetime) -> bool:
        """The guide's next step; False if the draft is gone or finished."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE round_drafts SET guide = ?, expires_at = ? "
                "WHERE id = ? AND guide IS NOT NULL AND opened_round IS NULL AND NOT cancelled",
                (guide, expires.isoformat(), draft_id),
            )
            return bool(cursor.rowcount)

    async def waiting_guide(self, user_id: int, expires_after: dt.datetime) -> RoundDraft | None:
        """The user's newest round being opened through buttons whose expiry is after
        `expires_after` (its last step was recent), or None."""
        async with self._db.connection.execute(
            f"{_DRAFT} WHERE user_id = ? AND guide IS NOT NULL AND expires_at > ? AND {_WAITING} "
            "ORDER BY id DESC LIMIT 1",
            (user_id, expires_after.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return _draft(row) if row else None

    async def finish_guide(self, draft: RoundDraft) -> bool:
        """Turn a guided draft into one awaiting [Open] (its name, scope and recommendations
        from `draft`); False if it is gone or was finished meanwhile."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE round_drafts SET name = ?, cycle = ?, scope = ?, recommendation_ids = ?, "
                "closes_at = ?, guide = NULL WHERE id = ? AND guide IS NOT NULL "
                "AND opened_round IS NULL AND NOT cancelled",
                (
                    draft.name,
                    draft.cycle,
                    draft.scope,
                    json.dumps(list(draft.recommendation_ids)),
                    draft.closes_at.isoformat() if draft.closes_at else None,
                    draft.id,
                ),
            )
            return bool(cursor.rowcount)

    async def open_draft(
        self, draft: RoundDraft, *, now: dt.datetime, announce: Announce | None = None
    ) -> int | None:
        """Open a draft round and mark the draft opened by it, in one transaction (`announce`
        stages its notices in it); None when the draft was used or cancelled meanwhile (a
        double press)."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE round_drafts SET opened_round = 0 "
                "WHERE id = ? AND opened_round IS NULL AND NOT cancelled",
                (draft.id,),
            )
            if not cursor.rowcount:
                return None
            round_id = await _insert_round(
                db,
                draft.name,
                draft.cycle,
                draft.scope,
                draft.recommendation_ids,
                draft.closes_at,
                draft.user_id,
                now,
            )
            await db.execute(
                "UPDATE round_drafts SET opened_round = ? WHERE id = ?", (round_id, draft.id)
            )
            if announce is not None:
                announce(round_id)
            return round_id

    async def drop_draft(self, draft_id: int, user_id: int) -> bool:
        """Cancel a coordinator's draft round (kept as cancelled until it expires); False if it
        was not waiting (any more)."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE round_drafts SET cancelled = 1 "
                "WHERE id = ? AND user_id = ? AND opened_round IS NULL AND NOT cancelled",
                (draft_id, user_id),
            )
            return bool(cursor.rowcount)

    async def delete_round(self, round_id: int, *, actor: int, now: dt.datetime) -> bool:
        """Delete a round nobody has rated in (audited); False if it has ratings or is gone."""
        async with self._db.transaction() as db:
            async with db.execute("SELECT name FROM rounds WHERE id = ?", (round_id,)) as cursor:
                row = await cursor.fetchone()
            cursor = await db.execute(
                "DELETE FROM rounds WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM rating_history WHERE round_id = ?)",
                (round_id, round_id),
            )
            if not cursor.rowcount or row is None:
                return False
            # Its id is never given again: a card of this round must not rate in another.
            await db.execute("INSERT INTO retired_rounds (id) VALUES (?)", (round_id,))
            await audit.record(
                db, now, actor, AuditAction.DELETE_ROUND, None, f"{round_id}: {row[0]}"
            )
            return True

    async def rounds(self) -> list[Round]:
        """Every round, newest first."""
        async with self._db.connection.execute(f"{_ROUND} ORDER BY r.id DESC") as cursor:
            return [_round(r) for r in await cursor.fetchall()]

    async def round(self, round_id: int) -> Round | None:
        """One round, or None (read on taps and redraws: one row, not the whole list; kept
        until a change that may touch it)."""
        return await self._rounds.get(round_id, lambda: self._read_round(round_id))

    async def _read_round(self, round_id: int) -> Round | None:
        async with self._db.connection.execute(f"{_ROUND} WHERE r.id = ?", (round_id,)) as cursor:
            row = await cursor.fetchone()
        return _round(row) if row else None

    async def opener(self, round_id: int) -> int | None:
        """The coordinator who opened a round (None: no such round)."""
        async with self._db.connection.execute(
            "SELECT created_by FROM rounds WHERE id = ?", (round_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def items(self, round_id: int) -> list[int]:
        """The recommendations of a round."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM round_items WHERE round_id = ?", (round_id,)
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def set_open(
        self,
        round_id: int,
        is_open: bool,
        *,
        actor: int,
        now: dt.datetime,
        rule: AudienceRule | None = None,
    ) -> bool:
        """Close (freeze, its audience by `rule`) or reopen a round; reopening withdraws its
        publication. False if it already was so (nothing changes, nothing is audited)."""
        status = "open" if is_open else "closed"
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE rounds SET status = ?, published_at = CASE WHEN ? THEN NULL "
                "ELSE published_at END WHERE id = ? AND status <> ?",
                (status, int(is_open), round_id, status),
            )
            if not cursor.rowcount:
                return False
            if not is_open:
                await _forget_skips(db, round_id)
            await _freeze(db, round_id, not is_open, rule)
            await audit.record(
                db,
                now,
                actor,
                AuditAction.REOPEN_ROUND if is_open else AuditAction.CLOSE_ROUND,
                None,
                str(round_id),
            )
            return True

    async def publish(
        self, round_id: int, *, actor: int, now: dt.datetime, announce: Announce | None = None
    ) -> bool:
        """Publish a closed round's results to members (`announce` stages its notices in the
        same transaction); False if the round is open or already published."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE rounds SET published_at = ? WHERE id = ? AND status = 'closed' "
                "AND published_at IS NULL",
                (now.isoformat(), round_id),
            )
            if cursor.rowcount:
                await audit.record(db, now, actor, AuditAction.PUBLISH_ROUND, None, str(round_id))
                if announce is not None:
                    announce(round_id)
            return bool(cursor.rowcount)

    async def close_due(
        self,
        now: dt.datetime,
        announce: Announce | None = None,
        rules: Mapping[int, AudienceRule] | None = None,
    ) -> list[int]:
        """Close the open rounds whose closing date has passed (`announce` stages each one's
        notices in the same transaction; `rules`: each one's audience); return their ids."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT id FROM rounds WHERE status = 'open' AND closes_at IS NOT NULL "
                "AND closes_at <= ?",
                (now.isoformat(),),
            ) as cursor:
                due = [row[0] for row in await cursor.fetchall()]
            for round_id in due:
                await db.execute("UPDATE rounds SET status = 'closed' WHERE id = ?", (round_id,))
                await _forget_skips(db, round_id)
                await _freeze(db, round_id, True, (rules or {}).get(round_id))
                await audit.record(db, now, 0, AuditAction.CLOSE_ROUND, None, str(round_id))
                if announce is not None:
                    announce(round_id)
        return due

    async def rate(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        colour: Colour,
        now: dt.datetime,
        *,
        rater: int | None = None,
        ask: ReasonAsk | None = None,
    ) -> bool:
        """Record or change an organisation's rating; True if it was new. Kept in history.

        This runs for every tap: one read and at most two writes, in one trip to the database.
        With `rater`, the same read checks that this person still represents the organisation
        and that it is active (a removal or pause committed a moment before wins). With `ask`,
        the request for its reason is written in the same transaction.
        """

        def work(db: Writer) -> tuple[bool, bool]:
            params = (recommendation_id, organisation_id, round_id, rater)
            row = db.execute(_OPEN_ITEM, params).fetchone()
            if rater is not None and row is not None:
                _still_rates(row, organisation_id)
            current, reason = _open_item(row)
            new = current is None
            queued = ask is not None and _ask(db, ask, round_id, recommendation_id, new, now)
            if current == colour.value:
                return False, queued  # a double tap: nothing changes, nothing to record
            db.execute(
                "INSERT INTO ratings (round_id, recommendation_id, organisation_id, colour, "
                "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, recommendation_id, "
                "organisation_id) DO UPDATE SET colour = excluded.colour, "
                "updated_at = excluded.updated_at",
                (round_id, recommendation_id, organisation_id, colour.value, now.isoformat()),
            )
            db.execute(
                "INSERT INTO rating_history (round_id, recommendation_id, organisation_id, "
                "colour, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    round_id,
                    recommendation_id,
                    organisation_id,
                    colour.value,
                    reason or "",
                    now.isoformat(),
                ),
            )
            return new, queued

        new, queued = await self._db.atomic(work)
        if queued:
            self._db.on_staged()
        return new

    async def set_reason(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        reason: str,
        now: dt.datetime,
    ) -> tuple[int, Colour]:
        """Attach a reason to the organisation's rating (kept in history too); the history
        row's id and the rating's colour."""
        async with self._db.transaction() as db:
            await _require_open_item(db, round_id, recommendation_id)
            return await _set_reason(db, round_id, recommendation_id, organisation_id, reason, now)

    async def undo_reason(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        history_id: int,
        now: dt.datetime,
    ) -> tuple[str, bool] | None:
        """Give the rating back the reason it had before the one set at `history_id`, unless
        a newer reason was set since: (the undone text, whether it was undone); None when that
        row is not this organisation's reason for this rating."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT h.reason, (SELECT MAX(n.id) FROM rating_history AS n WHERE "
                "n.round_id = h.round_id AND n.recommendation_id = h.recommendation_id AND "
                "n.organisation_id = h.organisation_id AND n.kind = 'reason'), "
                "(SELECT p.reason FROM rating_history AS p WHERE p.round_id = h.round_id AND "
                "p.recommendation_id = h.recommendation_id AND "
                "p.organisation_id = h.organisation_id AND p.id < h.id ORDER BY p.id DESC "
                "LIMIT 1) FROM rating_history AS h WHERE h.id = ? AND h.round_id = ? AND "
                "h.recommendation_id = ? AND h.organisation_id = ? AND h.kind = 'reason'",
                (history_id, round_id, recommendation_id, organisation_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            if row[1] != history_id:
                return str(row[0]), False
            await _require_open_item(db, round_id, recommendation_id)
            await _set_reason(db, round_id, recommendation_id, organisation_id, row[2] or "", now)
            return str(row[0]), True

    async def ratings(self, round_id: int) -> list[Rating]:
        """Every rating of a round with the organisation's short name (coordinators' view)."""
        async with self._db.connection.execute(
            "SELECT r.recommendation_id, o.short_name, r.colour, r.reason, r.organisation_id "
            "FROM ratings AS r LEFT JOIN organisations AS o ON o.id = r.organisation_id "
            "WHERE r.round_id = ?",
            (round_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [Rating(row[0], row[1], _COLOURS[row[2]], row[3], row[4]) for row in rows]

    async def said(self, round_id: int, named: bool, with_groups: bool) -> list[Said]:
        """Every rating of a round as its results tables show it (the organisation named with
        `named`), by recommendation and organisation, each with the working groups whose own
        rows it counts in (those at the close, once the round is closed; none without
        `with_groups`). One query."""
        async with self._db.connection.execute(
            "SELECT r.recommendation_id, CASE WHEN :named THEN o.short_name END, r.colour, "
            "r.reason, CASE WHEN NOT :groups THEN NULL "
            "WHEN EXISTS (SELECT 1 FROM frozen_participation WHERE round_id = :r "
            "AND working_group_id = 0) THEN (SELECT group_concat(f.working_group_id) FROM "
            "frozen_group_ratings AS f WHERE f.rating_id = r.id) ELSE "
            "(SELECT group_concat(m.working_group_id) FROM organisation_groups AS m "
            "WHERE m.organisation_id = r.organisation_id) END "
            "FROM ratings AS r LEFT JOIN organisations AS o ON o.id = r.organisation_id "
            "WHERE r.round_id = :r "
            "ORDER BY r.recommendation_id, r.organisation_id, r.id",
            {"r": round_id, "named": int(named), "groups": int(with_groups)},
        ) as cursor:
            rows = await cursor.fetchall()
        groups: dict[str | None, tuple[int, ...]] = {None: ()}  # "3,5" read once
        for row in rows:
            if row[4] not in groups:
                groups[row[4]] = tuple(int(g) for g in row[4].split(","))
        return [Said(row[0], row[1], _COLOURS[row[2]], row[3], groups[row[4]]) for row in rows]

    async def tables(
        self,
        round_id: int,
        form: ReasonsForm | None,
        named: bool,
        wanted: Sequence[int],
        with_groups: bool,
    ) -> TableReads:
        """A round's results tables' counts and reasons cells, in one snapshot on a connection
        of its own (see the protocol): the cells written by SQLite in `form`, the coalition's
        one aggregate per recommendation, the groups' from one ordered pass over the ratings
        they count, in the order `said` gives and the domain sorts names in."""

        def read(conn: sqlite3.Connection) -> TableReads:
            by_group = _group_distributions(conn, round_id) if with_groups else {}
            cells = _reasons_cells(conn, round_id, form, named, wanted) if form else {}
            return TableReads(_distributions(conn, round_id), by_group, cells)

        return await self._db.read_apart(read)

    async def distributions(self, round_id: int) -> dict[int, Distribution]:
        """The whole coalition's distribution of each rated recommendation of a round: one
        aggregate."""
        return await self._db.read_here(lambda conn: _distributions(conn, round_id))

    async def distribution(
        self, round_id: int, recommendation_id: int, group_id: int | None = None
    ) -> Distribution:
        """One recommendation's distribution: the whole coalition's, or one working group's."""
        async with self._db.connection.execute(
            # The whole coalition when the group is None, else its member organisations.
            "SELECT colour FROM ratings WHERE round_id = ? AND recommendation_id = ? "
            "AND (? IS NULL OR organisation_id IN (SELECT organisation_id FROM "
            "organisation_groups WHERE working_group_id = ?))",
            (round_id, recommendation_id, group_id, group_id),
        ) as cursor:
            return Distribution.of([Colour(row[0]) for row in await cursor.fetchall()])

    async def participation(self, round_id: int, group_id: int | None = None) -> tuple[int, int]:
        """(organisations that rated, organisations eligible): the active ones, of the coalition
        or of one working group; as they were at the close once the round is closed."""
        params = {"r": round_id, "g": group_id or 0}
        async with self._db.connection.execute(
            "SELECT rated, eligible FROM frozen_participation WHERE round_id = :r "
            "AND working_group_id = :g UNION ALL SELECT 0, 0 WHERE EXISTS (SELECT 1 FROM "
            "frozen_participation WHERE round_id = :r AND working_group_id = 0) UNION ALL "
            "SELECT (SELECT COUNT(DISTINCT t.organisation_id) FROM ratings AS t JOIN "
            "organisations AS o ON o.id = t.organisation_id AND o.active = 1 WHERE "
            "t.round_id = :r AND (:g = 0 OR o.id IN (SELECT organisation_id FROM "
            "organisation_groups WHERE working_group_id = :g))), (SELECT COUNT(*) FROM "
            "organisations WHERE active = 1 AND (:g = 0 OR id IN (SELECT organisation_id FROM "
            "organisation_groups WHERE working_group_id = :g)))",
            params,
        ) as cursor:
            row = await cursor.fetchone()  # the frozen row first, then none, then the live one
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def paused_raters(self, round_id: int, group_id: int | None = None) -> int:
        """How many organisations whose membership is paused rated in the round (of the
        coalition or of one working group): their ratings count, they are not "took part";
        as at the close once the round is closed."""
        async with self._db.connection.execute(
            "SELECT paused FROM frozen_participation WHERE round_id = :r AND working_group_id "  # noqa: S608 (constants only)
            "= :g UNION ALL SELECT 0 WHERE EXISTS (SELECT 1 FROM frozen_participation WHERE "
            f"round_id = :r AND working_group_id = 0) UNION ALL {_PAUSED_RATERS}",
            {"r": round_id, "g": group_id or 0},
        ) as cursor:
            row = await cursor.fetchone()  # the frozen row first, then none, then the live one
        return int(row[0]) if row else 0

    async def progress(self, round_id: int) -> list[tuple[int, str, int]]:
        """How many of the round's recommendations each active organisation has rated:
        (organisation id, short name, count), by short name."""
        async with self._db.connection.execute(
            "SELECT o.id, o.short_name, COUNT(t.id) FROM organisations AS o "
            "LEFT JOIN ratings AS t "
            "ON t.organisation_id = o.id AND t.round_id = ? WHERE o.active = 1 "
            "GROUP BY o.id ORDER BY o.short_name COLLATE NOCASE",
            (round_id,),
        ) as cursor:
            return [(row[0], row[1], int(row[2])) for row in await cursor.fetchall()]

    async def group_overlap(
        self, round_id: int, items: Sequence[int] = ()
    ) -> dict[int, tuple[int, int]]:
        """Each working group's (how many of a round's recommendations — or of `items`, before
        it exists — its list holds, a closed round's list as at the close; how many active
        organisations are in it)."""
        async with self._db.connection.execute(
            f"{_LISTED} SELECT g.id, (SELECT COUNT(DISTINCT l.rec) FROM listed AS l "  # noqa: S608 (constants only)
            "WHERE l.g = g.id), (SELECT COUNT(*) FROM organisation_groups AS m JOIN "
            "organisations AS o ON o.id = m.organisation_id AND o.active = 1 "
            "WHERE m.working_group_id = g.id) FROM working_groups AS g",
            {"r": round_id, "items": json.dumps(list(items))},
        ) as cursor:
            return {int(row[0]): (int(row[1]), int(row[2])) for row in await cursor.fetchall()}

    async def whole_cycle(self, round_id: int, items: Sequence[int] = ()) -> bool:
        """Whether a round (or `items`) holds every recommendation of its cycle that has one
        of its responses: a whole cycle, or a whole cycle by response."""
        async with self._db.connection.execute(
            "WITH items(rec) AS (SELECT recommendation_id FROM round_items WHERE round_id = :r "
            "UNION SELECT value FROM json_each(:items)), "
            "held(cycle, response) AS (SELECT DISTINCT r.cycle, r.response "
            "FROM recommendations AS r JOIN items AS i ON i.rec = r.id) "
            "SELECT EXISTS (SELECT 1 FROM held) AND NOT EXISTS (SELECT 1 "
            "FROM recommendations AS r JOIN held AS h ON h.cycle = r.cycle "
            "AND h.response = r.response WHERE r.id NOT IN (SELECT rec FROM items))",
            {"r": round_id, "items": json.dumps(list(items))},
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def audience(
        self,
        round_id: int,
        rule: AudienceRule,
        items: Sequence[int] = (),
        organisation_id: int | None = None,
    ) -> list[Share]:
        """Each audience organisation's share of a round (or of `items`, before it exists;
        only `organisation_id`'s, when given), by the domain's `rule`, by short name: one
        aggregate."""
        async with self._db.connection.execute(
            f"{_AUDIENCE} ORDER BY p.short COLLATE NOCASE",
            _audience_params(round_id, rule, items, None, organisation_id),
        ) as cursor:
            return [
                Share(int(r[0]), str(r[1]), int(r[2]), int(r[3]), bool(r[4]))
                for r in await cursor.fetchall()
            ]

    async def group_listed(self, round_id: int, organisation_id: int) -> set[int]:
        """The round's recommendations on the lists of this organisation's working groups."""
        async with self._db.connection.execute(
            f"{_LISTED} SELECT DISTINCT l.rec FROM listed AS l JOIN organisation_groups AS m "  # noqa: S608 (constants only)
            "ON m.working_group_id = l.g WHERE m.organisation_id = :org",
            {"r": round_id, "items": "[]", "org": organisation_id},
        ) as cursor:
            return {int(row[0]) for row in await cursor.fetchall()}

    async def recommendation_audience(
        self, round_id: int, rule: AudienceRule, recommendation_id: int
    ) -> tuple[int, int]:
        """(audience organisations that rated it, audience organisations) for one
        recommendation of a round: those whose own recommendations include it."""
        async with self._db.connection.execute(
            f"SELECT COALESCE(SUM(a.rated), 0), COUNT(*) FROM ({_AUDIENCE}) AS a",  # noqa: S608 (constants only)
            _audience_params(round_id, rule, (), recommendation_id),
        ) as cursor:
            [(rated, audience)] = await cursor.fetchall()  # an aggregate: always one row
        return int(rated), int(audience)

    async def group_rated(self, round_id: int, recommendation_id: int, group_id: int) -> int:
        """How many of a working group's active member organisations rated one recommendation
        of a round."""
        async with self._db.connection.execute(
            "SELECT COUNT(DISTINCT t.organisation_id) FROM ratings AS t JOIN organisations AS o "
            "ON o.id = t.organisation_id AND o.active = 1 JOIN organisation_groups AS m "
            "ON m.organisation_id = o.id AND m.working_group_id = ? "
            "WHERE t.round_id = ? AND t.recommendation_id = ?",
            (group_id, round_id, recommendation_id),
        ) as cursor:
            [(rated,)] = await cursor.fetchall()  # an aggregate: always one row
        return int(rated)

    async def reminded_at(self, round_id: int) -> dt.datetime | None:
        """When a coordinator last reminded those behind in this round, if ever."""
        async with self._db.connection.execute(
            "SELECT reminded_at FROM round_reminders WHERE round_id = ?", (round_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    async def claim_reminder(
        self, round_id: int, now: dt.datetime, since: dt.datetime, announce: Announce
    ) -> dt.datetime | None:
        """Record a coordinator's reminder at `now` and stage it (`announce`, in the same
        transaction), unless one was recorded after `since`: then that time, nothing staged."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT reminded_at FROM round_reminders WHERE round_id = ?", (round_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and dt.datetime.fromisoformat(row[0]) > since:
                return dt.datetime.fromisoformat(row[0])
            await db.execute(
                "INSERT INTO round_reminders (round_id, reminded_at) VALUES (?, ?) "
                "ON CONFLICT (round_id) DO UPDATE SET reminded_at = excluded.reminded_at",
                (round_id, now.isoformat()),
            )
            announce(round_id)
            return None

    async def group_ratings(self, round_id: int, group_id: int) -> list[Rating]:
        """A working group's ratings: its member organisations' (those at the close, once the
        round is closed: an erased organisation's rating still counts, anonymously)."""
        async with self._db.connection.execute(
            "SELECT r.recommendation_id, o.short_name, r.colour, r.reason, r.organisation_id "
            "FROM ratings AS r LEFT JOIN organisations AS o ON o.id = r.organisation_id "
            "WHERE r.round_id = :r AND CASE WHEN EXISTS (SELECT 1 FROM frozen_participation "
            "WHERE round_id = :r AND working_group_id = 0) THEN r.id IN (SELECT rating_id "
            "FROM frozen_group_ratings WHERE round_id = :r AND working_group_id = :g) ELSE "
            "r.organisation_id IN (SELECT organisation_id FROM organisation_groups "
            "WHERE working_group_id = :g) END",
            {"r": round_id, "g": group_id},
        ) as cursor:
            rows = await cursor.fetchall()
        return [Rating(row[0], row[1], _COLOURS[row[2]], row[3], row[4]) for row in rows]

    async def group_items(self, round_id: int, group_id: int) -> set[int]:
        """The round's recommendations on a working group's list (its list at the close, once
        the round is closed)."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM frozen_group_items WHERE round_id = :r AND "
            "working_group_id = :g UNION SELECT i.recommendation_id FROM round_items AS i "
            "JOIN working_group_recommendations AS w ON w.recommendation_id = "
            "i.recommendation_id AND w.included = 1 WHERE i.round_id = :r AND "
            "w.working_group_id = :g AND NOT EXISTS (SELECT 1 FROM frozen_participation "
            "WHERE round_id = :r AND working_group_id = 0)",
            {"r": round_id, "g": group_id},
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def group_distributions(self, round_id: int) -> dict[int, dict[int, Distribution]]:
        """Every working group's own distributions (`_group_distributions`): one aggregate."""
        return await self._db.read_here(lambda conn: _group_distributions(conn, round_id))

    async def own(self, round_id: int, organisation_id: int) -> dict[int, Rating]:
        """An organisation's ratings in a round, by recommendation."""
        async with self._db.connection.execute(
            "SELECT recommendation_id, colour, reason FROM ratings WHERE round_id = ? "
            "AND organisation_id = ?",
            (round_id, organisation_id),
        ) as cursor:
            return {
                row[0]: Rating(row[0], None, Colour(row[1]), row[2])
                for row in await cursor.fetchall()
            }

    async def add_card(self, card: Card) -> None:
        """Remember a card posted in a group chat."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO rating_cards (chat_id, message_id, round_id, "
                "recommendation_id, working_group_id, language) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    card.chat_id,
                    card.message_id,
                    card.round_id,
                    card.recommendation_id,
                    card.working_group_id,
                    card.language,
                ),
            )

    async def posted(self, round_id: int, chat_id: int) -> set[int]:
        """The recommendations already posted as cards in a chat for a round."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM rating_cards WHERE round_id = ? AND chat_id = ?",
            (round_id, chat_id),
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def cards_to_redraw(self) -> list[Card]:
        """Cards whose counts changed since they were last drawn successfully (a rating, or
        an organisation paused, reactivated or moved between working groups)."""
        async with self._db.connection.execute(
            # A group's card changes only with its own organisations' ratings.
            "SELECT c.chat_id, c.message_id, c.round_id, c.recommendation_id, "
            "(SELECT MAX(h.id) FROM rating_history AS h WHERE h.round_id = c.round_id "
            "AND h.recommendation_id = c.recommendation_id AND h.kind = 'colour' AND (c."
            "working_group_id IS NULL OR h.organisation_id IN (SELECT organisation_id FROM "
            "organisation_groups WHERE working_group_id = c.working_group_id))) AS latest, "
            "c.working_group_id, c.language FROM rating_cards AS c "
            # -1: its organisations changed (paused, reactivated, moved), not its ratings
            "WHERE latest > c.drawn_history_id OR c.drawn_history_id < 0"
        ) as cursor:
            rows = await cursor.fetchall()
        return [Card(r[0], r[1], r[2], r[3], r[4] or 0, r[5], r[6]) for r in rows]

    async def mark_drawn(self, card: Card) -> None:
        """Record that a card now shows the counts up to its history id (never goes back)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE rating_cards SET drawn_history_id = MAX(drawn_history_id, ?) "
                "WHERE chat_id = ? AND message_id = ?",
                (card.history_id, card.chat_id, card.message_id),
            )

    async def latest_published(self, recommendation_id: int) -> tuple[Round, Distribution] | None:
        """The most recent published round that rated this recommendation, and its counts."""
        async with self._db.connection.execute(
            "SELECT r.id FROM rounds AS r JOIN round_items AS i ON i.round_id = r.id "
            "WHERE i.recommendation_id = ? AND r.published_at IS NOT NULL "
            "ORDER BY r.published_at DESC LIMIT 1",
            (recommendation_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        found = await self.round(int(row[0]))
        if found is None:
            return None
        return found, await self.distribution(found.id, recommendation_id)

    # --- the private rating flow: kept across restarts until it expires; ids, never text ---
    async def add_prompt(
        self,
        user_id: int,
        prompt: Outgoing,
        round_id: int,
        recommendation_id: int,
        *,
        expires: dt.datetime,
        now: dt.datetime,
        pending: dt.datetime | None = None,
        origin: tuple[int, int | None] | None = None,
    ) -> int:
        """Queue the prompt in the outbox and remember that a reply to it is the reason for this
        rating, in one transaction; with `pending`, the person's next plain message is it too,
        until then, once the prompt was sent; `origin`: the group chat (and topic) tapped in.
        The delivery's id."""

        def work(db: Writer) -> int:
            expiring.expire_at_once(db, now)
            ask = ReasonAsk(user_id, expires, prompt, pending, origin)
            return _queue_prompt(db, ask, prompt, round_id, recommendation_id, now)

        delivery_id = await self._db.atomic(work)
        self._db.on_staged()
        return delivery_id

    async def remember_prompt(
        self,
        user_id: int,
        message_id: int,
        round_id: int,
        recommendation_id: int,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """A prompt the bot sent itself (an answer): a reply to it is the reason too."""
        await expiring.remember(
            self._db,
            now,
            (
                "INSERT INTO reason_prompts (user_id, message_id, round_id, recommendation_id, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, message_id, round_id, recommendation_id, expires.isoformat()),
            ),
        )

    async def set_pending(
        self,
        user_id: int,
        round_id: int,
        recommendation_id: int,
        *,
        next_card: bool,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """This person's next plain private message is the reason of this rating (a newer
        prompt replaces it)."""
        await expiring.remember(
            self._db,
            now,
            (_PEND, _pending(user_id, round_id, recommendation_id, expires, None, next_card)),
        )

    async def pending(self, user_id: int, now: dt.datetime) -> PendingReason | None:
        """The reason this person was asked for last, unless expired."""
        async with self._db.connection.execute(
            "SELECT p.round_id, p.recommendation_id, p.next_card, p.delivery_id, d.status "
            "FROM pending_reasons AS p LEFT JOIN deliveries AS d ON d.id = p.delivery_id "
            "WHERE p.user_id = ? AND p.expires_at > ?",
            (user_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        sent: bool | None = True
        if row[3] is not None:
            sent = {"sent": True, "waiting": None, "sending": None}.get(row[4], False)
        return PendingReason(int(row[0]), int(row[1]), bool(row[2]), sent)

    async def drop_pending(self, user_id: int, card: tuple[int, int] | None = None) -> bool:
        """Forget the reason this person was asked for (only if it is `card`, when given);
        whether it was forgotten."""
        sql = "DELETE FROM pending_reasons WHERE user_id = ?"
        params: tuple[int, ...] = (user_id,)
        if card is not None:
            sql += " AND round_id = ? AND recommendation_id = ?"
            params = (user_id, *card)
        async with self._db.transaction() as db:
            cursor = await db.execute(sql, params)
            return bool(cursor.rowcount)

    async def recolour_prompt(
        self,
        user_id: int,
        round_id: int,
        recommendation_id: int,
        content: Content,
        now: dt.datetime,
    ) -> int | None:
        """The rating's colour changed: the newest outbox prompt for it says so (its row takes
        this content, so one still waiting goes out with it); the message id of one already
        sent that said something else, to edit; else None."""
        new = content.to_json()
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT d.id, d.status, d.message_id, d.content FROM reason_prompts AS p "
                "JOIN deliveries AS d ON d.id = p.delivery_id WHERE p.user_id = ? AND "
                "p.round_id = ? AND p.recommendation_id = ? AND p.expires_at > ? "
                "ORDER BY p.id DESC LIMIT 1",
                (user_id, round_id, recommendation_id, now.isoformat()),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or row[3] == new:
                return None
            await db.execute("UPDATE deliveries SET content = ? WHERE id = ?", (new, row[0]))
            return int(row[2]) if row[1] == "sent" and row[2] is not None else None

    async def refused_prompt(self, delivery_id: int) -> PromptOrigin | None:
        """The prompt this delivery was, if it was asked for from a card in a group chat."""
        async with self._db.connection.execute(
            "SELECT user_id, round_id, recommendation_id, origin_chat_id, origin_topic_id "
            "FROM reason_prompts WHERE delivery_id = ? AND origin_chat_id IS NOT NULL",
            (delivery_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return PromptOrigin(int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4])

    async def add_hint(
        self, user_id: int, round_id: int, hint: Outgoing, now: dt.datetime
    ) -> bool:
        """Queue the line telling this person to open a private chat, unless they were told
        already in this round; whether it was queued."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO private_chat_hints (user_id, round_id, at) VALUES (?, ?, ?)",
                (user_id, round_id, now.isoformat()),
            )
            if not cursor.rowcount:
                return False
            await outbox.insert(db, [hint], now)
        self._db.on_staged()
        return True

    async def prompt(
        self, user_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, int] | None:
        """(round, recommendation) a reply to this message gives the reason of, unless expired."""
        async with self._db.connection.execute(
            "SELECT p.round_id, p.recommendation_id FROM reason_prompts AS p "
            "LEFT JOIN deliveries AS d ON d.id = p.delivery_id "
            "WHERE p.user_id = ? AND COALESCE(p.message_id, d.message_id) = ? "
            "AND p.expires_at > ? ORDER BY p.id DESC LIMIT 1",
            (user_id, message_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else None

    async def prompt_unsent(self, user_id: int, now: dt.datetime) -> bool:
        """Whether a prompt to this person is still waiting or being sent."""
        async with self._db.connection.execute(
            "SELECT 1 FROM reason_prompts AS p JOIN deliveries AS d ON d.id = p.delivery_id "
            "WHERE p.user_id = ? AND p.expires_at > ? AND d.status IN ('waiting', 'sending') "
            "LIMIT 1",
            (user_id, now.isoformat()),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def skip(
        self,
        user_id: int,
        round_id: int,
        recommendation_id: int,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember that this person put this recommendation off until the others are done."""
        await expiring.remember(
            self._db,
            now,
            (
                "INSERT OR REPLACE INTO skipped_recommendations (user_id, round_id, "
                "recommendation_id, expires_at) VALUES (?, ?, ?, ?)",
                (user_id, round_id, recommendation_id, expires.isoformat()),
            ),
        )

    async def skipped(self, user_id: int, round_id: int, now: dt.datetime) -> set[int]:
        """What this person skipped in this round, unless expired."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM skipped_recommendations WHERE user_id = ? "
            "AND round_id = ? AND expires_at > ?",
            (user_id, round_id, now.isoformat()),
        ) as cursor:
            return {int(row[0]) for row in await cursor.fetchall()}

    async def forget_skips(self, user_id: int, round_id: int) -> None:
        """Offer this person's skipped recommendations of this round again."""
        async with self._db.transaction() as db:
            await db.execute(
                "DELETE FROM skipped_recommendations WHERE user_id = ? AND round_id = ?",
                (user_id, round_id),
            )


async def _set_reason(
    db: aiosqlite.Connection,
    round_id: int,
    recommendation_id: int,
    organisation_id: int,
    reason: str,
    now: dt.datetime,
) -> tuple[int, Colour]:
    # Never ending in whitespace (the reasons cells rely on it: `_ENTRY`): what the reader sees.
    reason = reason.rstrip()
    cursor = await db.execute(
        "UPDATE ratings SET reason = ?, updated_at = ? WHERE round_id = ? "
        "AND recommendation_id = ? AND organisation_id = ? RETURNING colour",
        (reason, now.isoformat(), round_id, recommendation_id, organisation_id),
    )
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        raise NotInRound
    cursor = await db.execute(
        "INSERT INTO rating_history (round_id, recommendation_id, organisation_id, "
        "colour, reason, kind, at) VALUES (?, ?, ?, ?, ?, 'reason', ?)",
        (round_id, recommendation_id, organisation_id, row[0], reason, now.isoformat()),
    )
    return int(cursor.lastrowid or 0), _COLOURS[row[0]]


def _ask(
    db: Writer, ask: ReasonAsk, round_id: int, recommendation_id: int, new: bool, now: dt.datetime
) -> bool:
    """Write a tap's request for its reason (see ReasonAsk); whether a prompt was queued."""
    if ask.prompt is not None and not new:
        return False
    expiring.expire_at_once(db, now)
    if ask.prompt is None:
        db.execute(
            _PEND, _pending(ask.user_id, round_id, recommendation_id, ask.expires, None, new)
        )
        return False
    _queue_prompt(db, ask, ask.prompt, round_id, recommendation_id, now)
    return True


def _queue_prompt(
    db: Writer,
    ask: ReasonAsk,
    prompt: Outgoing,
    round_id: int,
    recommendation_id: int,
    now: dt.datetime,
) -> int:
    """Queue a reason prompt in the outbox and remember that a reply to it is the reason (and,
    with `ask.pending`, the next plain message once sent); the delivery's id."""
    [delivery_id] = outbox.insert_at_once(db, [prompt], now)
    chat, topic = ask.origin if ask.origin is not None else (None, None)
    db.execute(
        "INSERT INTO reason_prompts (user_id, delivery_id, round_id, recommendation_id, "
        "expires_at, origin_chat_id, origin_topic_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            ask.user_id,
            delivery_id,
            round_id,
            recommendation_id,
            ask.expires.isoformat(),
            chat,
            topic,
        ),
    )
    db.execute(
        "DELETE FROM reason_prompts WHERE user_id = ? AND id NOT IN (SELECT id FROM "
        "reason_prompts WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
        (ask.user_id, ask.user_id, PROMPTS_PER_PERSON),
    )
    if ask.pending is not None:
        db.execute(
            _PEND, _pending(ask.user_id, round_id, recommendation_id, ask.pending, delivery_id)
        )
    return delivery_id


_PEND = (
    "INSERT OR REPLACE INTO pending_reasons (user_id, round_id, recommendation_id, "
    "delivery_id, next_card, expires_at) VALUES (?, ?, ?, ?, ?, ?)"
)


def _pending(
    user_id: int,
    round_id: int,
    recommendation_id: int,
    expires: dt.datetime,
    delivery_id: int | None,
    next_card: bool = False,
) -> tuple[object, ...]:
    """`_PEND`'s parameters: the person's next plain message is this rating's reason."""
    return (user_id, round_id, recommendation_id, delivery_id, int(next_card), expires.isoformat())


async def _forget_skips(db: aiosqlite.Connection, round_id: int) -> None:
    """A closed round's skip lists are of no more use: nobody rates in it. The reasons it still
    waits for stay until they expire, so that one typed just after the close is answered (not
    saved, and why) rather than taken for a search."""
    await db.execute("DELETE FROM skipped_recommendations WHERE round_id = ?", (round_id,))


async def _require_open_item(
    db: aiosqlite.Connection, round_id: int, rec_id: int, organisation_id: int | None = None
) -> tuple[str | None, str | None]:
    """NotInRound or RoundClosed unless the recommendation is in this open round; else the
    organisation's current (colour, reason), (None, None) when it has not rated it."""
    async with db.execute(_OPEN_ITEM, (rec_id, organisation_id, round_id, None)) as cursor:
        return _open_item(await cursor.fetchone())


# The round's status, whether the recommendation is in it, the organisation's rating of it;
# then the organisation of the person rating (?4, may be NULL) and whether it is active.
_OPEN_ITEM = (
    "SELECT r.status, i.recommendation_id, t.colour, t.reason, u.organisation_id, o.active "
    "FROM rounds AS r "
    "LEFT JOIN round_items AS i ON i.round_id = r.id AND i.recommendation_id = ?1 "
    "LEFT JOIN ratings AS t ON t.round_id = r.id AND t.recommendation_id = ?1 "
    "AND t.organisation_id = ?2 "
    "LEFT JOIN users AS u ON u.user_id = ?4 "
    "LEFT JOIN organisations AS o ON o.id = u.organisation_id WHERE r.id = ?3"
)


def _still_rates(row: Sequence[object], organisation_id: int) -> None:
    """NotAllowed unless `_OPEN_ITEM`'s row says the person still represents this
    organisation (not removed, not erased); MembershipPaused if it is paused."""
    if row[4] != organisation_id:
        raise NotAllowed
    if not row[5]:
        raise MembershipPaused


def _open_item(row: Sequence[object] | None) -> tuple[str | None, str | None]:
    """NotInRound or RoundClosed unless `_OPEN_ITEM`'s row says the recommendation is in an
    open round; else the organisation's (colour, reason), (None, None) when unrated."""
    if row is None or row[1] is None:
        raise NotInRound
    if row[0] != "open":
        raise RoundClosed
    return _text(row[2]), _text(row[3])


def _text(value: object) -> str | None:
    return None if value is None else str(value)
