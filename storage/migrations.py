"""Numbered, forward-only schema migrations. Never edit one that has shipped: add the next."""

# Migrations that rebuild a table other tables reference: they run with foreign keys off (a
# DROP would otherwise cascade to the children), and every reference is checked before commit.
REBUILDS: frozenset[int] = frozenset({6})

# The tables a catalog snapshot's rows are read from: a write to any of them draws a new
# catalog generation (storage/catalog_cache.py keeps rows only for one generation). Made by
# migration 37, and again by a snapshot that finds one missing (dropped by hand).
CATALOG_TABLES = ("recommendations", "translations", "recommendation_themes", "themes")
NEW_GENERATION = (
    "UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'catalog_generation'"
)
CATALOG_TRIGGERS = {  # name -> its statement
    f"{table}_{event.lower()}_generation": (
        f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_generation "
        f"AFTER {event} ON {table} BEGIN {NEW_GENERATION}; END"
    )
    for table in CATALOG_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
}
# Python's whitespace (str.strip's), written out (tests/test_result_aggregates): what migration
# 38 trims off the end of every stored reason, as the bot has stored them since.
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_TRIM = f"rtrim({{}}, char({', '.join(str(ord(c)) for c in SPACES)}))"  # {} the text
_TRIMMED = (
    f"WHEN NEW.reason <> {_TRIM.format('NEW.reason')} BEGIN UPDATE ratings "  # noqa: S608
    f"SET reason = {_TRIM.format('NEW.reason')} WHERE id = NEW.id; END"
)
# Made by migration 38, and again by a start that finds one missing (dropped by hand): they
# write only the row that fired them.
REASON_TRIGGERS = {  # name -> its statement
    f"ratings_{event.split()[0].lower()}_trimmed": (
        f"CREATE TRIGGER IF NOT EXISTS ratings_{event.split()[0].lower()}_trimmed "
        f"AFTER {event} ON ratings {_TRIMMED}"
    )
    for event in ("INSERT", "UPDATE OF reason")
}
TRIM_REASONS = (  # every stored reason without the whitespace it ends with
    f"UPDATE ratings SET reason = {_TRIM.format('reason')} "  # noqa: S608 (constants only)
    f"WHERE reason <> {_TRIM.format('reason')}"
)

MIGRATIONS: tuple[str, ...] = (
    # 1: the recommendation catalog, themes, Khmer translations, users' language, metadata.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE cycles (
        cycle INTEGER PRIMARY KEY CHECK (cycle > 0),
        review_date TEXT
    );
    CREATE TABLE recommendations (
        id INTEGER PRIMARY KEY,
        cycle INTEGER NOT NULL REFERENCES cycles (cycle),
        paragraph INTEGER NOT NULL,
        item INTEGER NOT NULL,
        text_en TEXT NOT NULL,
        recommending_states TEXT NOT NULL,
        response TEXT NOT NULL
            CHECK (response IN ('accepted', 'noted', 'rejected', 'pending')),
        sdg_targets TEXT NOT NULL DEFAULT '',
        action_category INTEGER CHECK (action_category BETWEEN 1 AND 5),
        source TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        UNIQUE (cycle, paragraph, item)
    );
    CREATE TABLE themes (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name_en TEXT NOT NULL,
        name_km TEXT NOT NULL,
        position INTEGER NOT NULL
    );
    CREATE TABLE recommendation_themes (
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        theme_id INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
        -- 'rule': from the shipped keyword rules, recomputed on import;
        -- 'coordinator': set by hand and never overwritten by rules.
        source TEXT NOT NULL CHECK (source IN ('rule', 'coordinator')),
        assigned INTEGER NOT NULL CHECK (assigned IN (0, 1)),
        PRIMARY KEY (recommendation_id, theme_id)
    );
    CREATE INDEX recommendation_themes_theme ON recommendation_themes (theme_id);
    CREATE TABLE translations (
        recommendation_id INTEGER PRIMARY KEY
            REFERENCES recommendations (id) ON DELETE CASCADE,
        text_km TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'reviewed')),
        translator TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    );
    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY,
        language TEXT NOT NULL CHECK (language IN ('en', 'km'))
    )
    """,
    # 2: the coalition: organisations, representatives, roles, working groups and their
    # chats, invites, the audit log. Only what the features need is stored (README, Privacy).
    """
    ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN is_coordinator INTEGER NOT NULL DEFAULT 0
        CHECK (is_coordinator IN (0, 1));
    ALTER TABLE users ADD COLUMN organisation_id INTEGER
        REFERENCES organisations (id) ON DELETE SET NULL;
    ALTER TABLE users ADD COLUMN unreachable_since TEXT;
    CREATE TABLE organisations (
        id INTEGER PRIMARY KEY,
        short_name TEXT NOT NULL,
        name TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX organisations_short_name ON organisations (short_name COLLATE NOCASE);
    CREATE TABLE working_groups (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name_en TEXT NOT NULL,
        name_km TEXT NOT NULL,
        position INTEGER NOT NULL
    );
    CREATE TABLE working_group_themes (
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        theme_id INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
        PRIMARY KEY (working_group_id, theme_id)
    );
    CREATE TABLE organisation_groups (
        organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        PRIMARY KEY (organisation_id, working_group_id)
    );
    -- A chat, or one topic (thread) of a forum supergroup, linked to a working group.
    -- thread_id 0 means the whole chat.
    CREATE TABLE group_chats (
        chat_id INTEGER NOT NULL,
        thread_id INTEGER NOT NULL DEFAULT 0,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        title TEXT NOT NULL DEFAULT '',
        linked_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, thread_id)
    );
    -- Invite codes are stored hashed: a leaked database does not leak usable codes.
    CREATE TABLE invites (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE,
        organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by INTEGER,
        revoked_at TEXT
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        organisation_id INTEGER,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_log_organisation ON audit_log (organisation_id)
    """,
    # 3: traffic-light assessment rounds. Ratings belong to organisations, never to people;
    # erasing an organisation leaves its ratings as anonymous counts (organisation_id NULL).
    """
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        cycle INTEGER NOT NULL,
        scope TEXT NOT NULL,
        closes_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        published_at TEXT,
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE round_items (
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        PRIMARY KEY (round_id, recommendation_id)
    );
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        organisation_id INTEGER REFERENCES organisations (id) ON DELETE SET NULL,
        colour TEXT NOT NULL CHECK (colour IN ('red', 'orange', 'green', 'unknown')),
        reason TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        UNIQUE (round_id, recommendation_id, organisation_id)
    );
    CREATE TABLE rating_history (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL,
        organisation_id INTEGER REFERENCES organisations (id) ON DELETE SET NULL,
        colour TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        -- 'colour': the rating changed (cards must redraw); 'reason': only its reason did.
        kind TEXT NOT NULL DEFAULT 'colour' CHECK (kind IN ('colour', 'reason')),
        at TEXT NOT NULL
    );
    -- Rating cards posted in group chats, so their live counts can be edited in batches.
    CREATE TABLE rating_cards (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        -- The newest rating_history row the card's counts include; a newer one means redraw.
        drawn_history_id INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX rating_history_item ON rating_history (round_id, recommendation_id, id)
    """,
    # 4: each working group's own list of recommendations, seeded from its themes. Rows from
    # themes are recomputed when recommendations or themes change; a coordinator's additions
    # (included 1) and removals (included 0) are kept for good. Per group: may its members edit?
    """
    CREATE TABLE working_group_recommendations (
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('theme', 'coordinator')),
        included INTEGER NOT NULL CHECK (included IN (0, 1)),
        PRIMARY KEY (working_group_id, recommendation_id)
    );
    CREATE INDEX working_group_recommendations_rec
        ON working_group_recommendations (recommendation_id);
    ALTER TABLE working_groups ADD COLUMN members_edit_list INTEGER NOT NULL DEFAULT 0
        CHECK (members_edit_list IN (0, 1));
    INSERT INTO working_group_recommendations
        (working_group_id, recommendation_id, source, included)
        SELECT DISTINCT g.working_group_id, rt.recommendation_id, 'theme', 1
        FROM working_group_themes AS g JOIN recommendation_themes AS rt
        ON rt.theme_id = g.theme_id AND rt.assigned = 1
    """,
    # 5: a rating card in a group's chat shows that group's counts: remember whose card it is
    # (cards posted before this know their group only when the whole chat was linked).
    """
    ALTER TABLE rating_cards ADD COLUMN working_group_id INTEGER
        REFERENCES working_groups (id) ON DELETE SET NULL;
    UPDATE rating_cards SET working_group_id = (SELECT g.working_group_id FROM group_chats AS g
        WHERE g.chat_id = rating_cards.chat_id AND g.thread_id = 0)
    """,
    # 6: organisation and invite ids are never reused (AUTOINCREMENT): an erased
    # organisation's history in the audit log, and an old invite's Revoke button, must never
    # point at a newer one. A rebuild of tables others reference (see REBUILDS). Each
    # sequence starts past every id ever handed out, as the audit log counts them.
    """
    CREATE TABLE organisations_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        short_name TEXT NOT NULL,
        name TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL
    );
    INSERT INTO organisations_new (id, short_name, name, active, created_at)
        SELECT id, short_name, name, active, created_at FROM organisations;
    DROP TABLE organisations;
    ALTER TABLE organisations_new RENAME TO organisations;
    CREATE UNIQUE INDEX organisations_short_name ON organisations (short_name COLLATE NOCASE);
    CREATE TABLE invites_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code_hash TEXT NOT NULL UNIQUE,
        organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by INTEGER,
        revoked_at TEXT
    );
    INSERT INTO invites_new SELECT id, code_hash, organisation_id, created_by, created_at,
        expires_at, used_at, used_by, revoked_at FROM invites;
    DROP TABLE invites;
    ALTER TABLE invites_new RENAME TO invites;
    DELETE FROM sqlite_sequence WHERE name IN ('organisations', 'invites');
    INSERT INTO sqlite_sequence (name, seq) VALUES
        ('organisations', MAX(
            COALESCE((SELECT MAX(id) FROM organisations), 0),
            COALESCE((SELECT MAX(organisation_id) FROM audit_log), 0))),
        ('invites', MAX(
            COALESCE((SELECT MAX(id) FROM invites), 0),
            (SELECT COUNT(*) FROM audit_log WHERE action = 'create invite')))
    """,
    # 7: updates fetched from Telegram, kept until handled: a crash replays them (bot/delivery.py).
    """
    CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        handled INTEGER NOT NULL DEFAULT 0 CHECK (handled IN (0, 1))
    );
    CREATE INDEX inbox_pending ON inbox (handled, update_id)
    """,
    # 8: the private rating flow's state, kept across restarts until it expires: which bot
    # message a reply turns into a reason, and what a representative skipped. Ids only, never
    # a message's text.
    """
    CREATE TABLE reason_prompts (
        user_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (user_id, message_id)
    );
    CREATE INDEX reason_prompts_expiry ON reason_prompts (expires_at);
    CREATE TABLE skipped_recommendations (
        user_id INTEGER NOT NULL,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (user_id, round_id, recommendation_id)
    );
    CREATE INDEX skipped_recommendations_expiry ON skipped_recommendations (expires_at)
    """,
    # 9: what a closed round's tables were computed from, frozen at its close (reopening drops
    # it): each working group's list within the round and the ratings of its member
    # organisations then (by rating, so an erased organisation's anonymous rating keeps
    # counting), and each "N of M took part" (working group 0: the whole coalition). Rounds
    # closed before this are frozen as things are now.
    """
    CREATE TABLE frozen_group_items (
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL,
        PRIMARY KEY (round_id, working_group_id, recommendation_id)
    );
    CREATE TABLE frozen_group_ratings (
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        rating_id INTEGER NOT NULL REFERENCES ratings (id) ON DELETE CASCADE,
        PRIMARY KEY (round_id, working_group_id, rating_id)
    );
    CREATE TABLE frozen_participation (
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        working_group_id INTEGER NOT NULL,
        rated INTEGER NOT NULL,
        eligible INTEGER NOT NULL,
        PRIMARY KEY (round_id, working_group_id)
    );
    INSERT INTO frozen_group_items SELECT i.round_id, w.working_group_id, i.recommendation_id
        FROM round_items AS i JOIN rounds AS r ON r.id = i.round_id AND r.status = 'closed'
        JOIN working_group_recommendations AS w ON w.recommendation_id = i.recommendation_id
        AND w.included = 1;
    INSERT INTO frozen_group_ratings SELECT t.round_id, m.working_group_id, t.id
        FROM ratings AS t JOIN rounds AS r ON r.id = t.round_id AND r.status = 'closed'
        JOIN organisation_groups AS m ON m.organisation_id = t.organisation_id;
    INSERT INTO frozen_participation SELECT r.id, g.id,
        (SELECT COUNT(DISTINCT t.organisation_id) FROM ratings AS t
            JOIN organisations AS o ON o.id = t.organisation_id AND o.active = 1
            JOIN organisation_groups AS m ON m.organisation_id = o.id
            AND m.working_group_id = g.id WHERE t.round_id = r.id),
        (SELECT COUNT(*) FROM organisations AS o JOIN organisation_groups AS m
            ON m.organisation_id = o.id AND m.working_group_id = g.id WHERE o.active = 1)
        FROM rounds AS r JOIN working_groups AS g WHERE r.status = 'closed';
    INSERT INTO frozen_participation SELECT r.id, 0,
        (SELECT COUNT(DISTINCT t.organisation_id) FROM ratings AS t
            JOIN organisations AS o ON o.id = t.organisation_id AND o.active = 1
            WHERE t.round_id = r.id),
        (SELECT COUNT(*) FROM organisations WHERE active = 1)
        FROM rounds AS r WHERE r.status = 'closed'
    """,
    # 10: a user's stored language is their choice only when they made it with /language;
    # rows written when the bot first saw them, promoted or invited them hold a fallback, and
    # Telegram's language applies instead. Rows from before this count as chosen (unknown).
    """
    ALTER TABLE users ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0
        CHECK (language_chosen IN (0, 1));
    UPDATE users SET language_chosen = 1
    """,
    # 11: a linked group chat's language, chosen by a coordinator with /language there (NULL:
    # the default); each rating card remembers the language it was posted in, for its redraws.
    """
    ALTER TABLE group_chats ADD COLUMN language TEXT CHECK (language IN ('en', 'km'));
    ALTER TABLE rating_cards ADD COLUMN language TEXT CHECK (language IN ('en', 'km'))
    """,
    # 12: the outbox: every message the bot sends on its own initiative, written with the event
    # that causes it and drained by one paced sender (bot/outbox_sender.py). Times are UTC ISO
    # strings with microseconds, so they compare as text.
    """
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        topic_id INTEGER,
        job TEXT NOT NULL,
        content TEXT NOT NULL,
        language TEXT,
        reference TEXT,
        organisation_id INTEGER,
        status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN
            ('waiting', 'sending', 'sent', 'failed', 'blocked', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before TEXT,
        next_attempt_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        message_id INTEGER,
        last_error TEXT,
        sent_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'waiting';
    CREATE INDEX deliveries_sending ON deliveries (id) WHERE status = 'sending';
    CREATE INDEX deliveries_reference ON deliveries (reference, status);
    CREATE INDEX deliveries_message ON deliveries (chat_id, message_id)
        WHERE message_id IS NOT NULL;
    CREATE INDEX deliveries_finished ON deliveries (finished_at)
        WHERE status IN ('failed', 'blocked')
    """,
    # 13: which bot message a reply turns into numbers for a working group's list (to add, or
    # to remove), kept across restarts until it expires, like the reason prompts. Ids only.
    """
    CREATE TABLE list_prompts (
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        include INTEGER NOT NULL CHECK (include IN (0, 1)),
        expires_at TEXT NOT NULL,
        PRIMARY KEY (user_id, chat_id, message_id)
    );
    CREATE INDEX list_prompts_expiry ON list_prompts (expires_at)
    """,
    # 14: coordinators' corrections of the cycles' milestones (review, adoption, mid-term, next
    # review); the shipped ones live in data/milestones.csv. A date in the compact form
    # '2024-05-08', '2024-09', '2026' or a span '2028/2029'; NULL: not known.
    """
    CREATE TABLE milestone_corrections (
        cycle INTEGER NOT NULL CHECK (cycle > 0),
        milestone TEXT NOT NULL
            CHECK (milestone IN ('review', 'adoption', 'mid_term', 'next_review')),
        date TEXT,
        around INTEGER NOT NULL DEFAULT 0 CHECK (around IN (0, 1)),
        note TEXT NOT NULL DEFAULT '',
        corrected_by INTEGER NOT NULL,
        corrected_at TEXT NOT NULL,
        PRIMARY KEY (cycle, milestone)
    )
    """,
    # 15: the working groups' action strategies: one row per action with the template's fields,
    # its timeframe as written and as read (NULL kind: unreadable, with the reason), the
    # recommendations it serves and the organisations responsible, and its status history.
    """
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        cycle INTEGER NOT NULL CHECK (cycle > 0),
        other_mechanisms TEXT NOT NULL DEFAULT '',
        sdg_targets TEXT NOT NULL DEFAULT '',
        activity TEXT NOT NULL,
        indicator TEXT NOT NULL DEFAULT '',
        resources TEXT NOT NULL DEFAULT '',
        partners TEXT NOT NULL DEFAULT '',
        risks TEXT NOT NULL DEFAULT '',
        timeframe TEXT NOT NULL DEFAULT '',
        timeframe_kind TEXT,
        starts_at TEXT,
        due_at TEXT,
        recurrence TEXT,
        timeframe_around INTEGER NOT NULL DEFAULT 0 CHECK (timeframe_around IN (0, 1)),
        timeframe_problem TEXT,
        timeframe_values TEXT,
        status TEXT NOT NULL DEFAULT 'not started'
            CHECK (status IN ('not started', 'in progress', 'done', 'blocked', 'dropped')),
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((timeframe_kind IS NULL) = (due_at IS NULL))
    );
    CREATE INDEX actions_group_due ON actions (working_group_id, due_at);
    CREATE INDEX actions_due ON actions (due_at);
    CREATE TABLE action_recommendations (
        action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (action_id, recommendation_id)
    );
    CREATE INDEX action_recommendations_rec ON action_recommendations (recommendation_id);
    CREATE TABLE action_organisations (
        action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
        organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (action_id, organisation_id)
    );
    CREATE INDEX action_organisations_org ON action_organisations (organisation_id);
    CREATE TABLE action_history (
        id INTEGER PRIMARY KEY,
        action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        actor_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX action_history_action ON action_history (action_id, id)
    """,
    # 16: coordinators' broadcasts (bot/domain/broadcast.py): each one's draft while composed
    # (expires a day after its last change), the confirmed broadcasts, each occurrence handed
    # to the outbox (once: the primary key), and who pressed "Got it". Times are UTC ISO.
    """
    CREATE TABLE broadcast_drafts (
        user_id INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        author_id INTEGER NOT NULL,
        audience TEXT NOT NULL,
        versions TEXT NOT NULL,
        silent INTEGER NOT NULL CHECK (silent IN (0, 1)),
        pin INTEGER NOT NULL CHECK (pin IN (0, 1)),
        ack INTEGER NOT NULL CHECK (ack IN (0, 1)),
        send_at TEXT,
        recurrence TEXT,
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'sent', 'cancelled', 'deleted')),
        created_at TEXT NOT NULL,
        last_occurrence TEXT,
        report_chat INTEGER,
        report_message INTEGER,
        watching INTEGER NOT NULL DEFAULT 0 CHECK (watching IN (0, 1))
    );
    CREATE INDEX broadcasts_status ON broadcasts (status);
    CREATE INDEX broadcasts_watching ON broadcasts (id) WHERE watching = 1;
    CREATE TABLE broadcast_occurrences (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
        occurrence TEXT NOT NULL,
        unreached TEXT NOT NULL DEFAULT '[]', -- ids of organisations nobody of which was reachable
        started_at TEXT NOT NULL,
        PRIMARY KEY (broadcast_id, occurrence)
    );
    CREATE TABLE broadcast_acks (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
        occurrence TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (broadcast_id, occurrence, user_id)
    )
    """,
    # 17: a reason prompt goes out through the outbox, so its Telegram message id is known only
    # once sent: the prompt keeps its delivery (the message id is read from there); prompts
    # sent before keep their message id.
    """
    CREATE TABLE reason_prompts_new (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        message_id INTEGER,
        delivery_id INTEGER REFERENCES deliveries (id) ON DELETE CASCADE,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL,
        expires_at TEXT NOT NULL,
        CHECK (message_id IS NOT NULL OR delivery_id IS NOT NULL)
    );
    INSERT INTO reason_prompts_new (user_id, message_id, round_id, recommendation_id, expires_at)
        SELECT user_id, message_id, round_id, recommendation_id, expires_at FROM reason_prompts
        ORDER BY message_id;
    DROP TABLE reason_prompts;
    ALTER TABLE reason_prompts_new RENAME TO reason_prompts;
    CREATE INDEX reason_prompts_expiry ON reason_prompts (expires_at);
    CREATE INDEX reason_prompts_user ON reason_prompts (user_id);
    CREATE INDEX reason_prompts_delivery ON reason_prompts (delivery_id)
    """,
    # 18: nudges about actions' timeframes: one row per action × kind × day, so a sweep, a
    # restart or a second sweep never nudges twice (the deliveries are written in the same
    # transaction); the coordinators' weekly summaries, one per week; and the prompts that
    # turn a reply into a note or a new date for an action, kept until they expire. Ids only.
    """
    CREATE TABLE nudges (
        action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        day TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (action_id, kind, day)
    );
    CREATE INDEX nudges_day ON nudges (day);
    CREATE TABLE weekly_summaries (
        week TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL
    );
    CREATE TABLE action_prompts (
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
        purpose TEXT NOT NULL CHECK (purpose IN ('note', 'date')),
        expires_at TEXT NOT NULL,
        PRIMARY KEY (user_id, chat_id, message_id)
    );
    CREATE INDEX action_prompts_expiry ON action_prompts (expires_at)
    """,
    # 19: a coordinator's /openround awaiting its [Open]: a draft round (its recommendations as
    # a JSON list of ids), kept across restarts until it expires, like the reason prompts.
    """
    CREATE TABLE round_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an old [Open] opens nothing
        user_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        cycle INTEGER NOT NULL,
        scope TEXT NOT NULL,
        recommendation_ids TEXT NOT NULL,
        closes_at TEXT,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX round_drafts_expiry ON round_drafts (expires_at)
    """,
    # 20: group chats the bot lost (removed, or Telegram refuses it there), named for
    # /unreachable and broadcast reports until a coordinator links the chat again.
    """
    CREATE TABLE lost_chats (
        chat_id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        lost_at TEXT NOT NULL
    )
    """,
    # 21: when a broadcast was last edited: its schedule counts from then, so an edit never
    # sends at once an occurrence the new schedule places before it.
    """
    ALTER TABLE broadcasts ADD COLUMN edited_at TEXT
    """,
    # 22: a coordinator adding or editing an action from the chat, one step at a time: the
    # fields so far (JSON; an action is written only at Save), the step asked for and the
    # prompt whose reply answers it; and the prompts whose reply corrects a cycle's milestone.
    # Kept across restarts until they expire, like every prompt.
    """
    CREATE TABLE action_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an old button acts on nothing
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        action_id INTEGER REFERENCES actions (id) ON DELETE CASCADE,  -- NULL: a new action
        step TEXT NOT NULL,
        draft TEXT NOT NULL,
        prompt_id INTEGER,
        asked_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX action_drafts_user ON action_drafts (user_id, chat_id, prompt_id);
    CREATE INDEX action_drafts_expiry ON action_drafts (expires_at);
    CREATE TABLE milestone_prompts (
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        cycle INTEGER NOT NULL CHECK (cycle > 0),
        milestone TEXT NOT NULL
            CHECK (milestone IN ('review', 'adoption', 'mid_term', 'next_review')),
        expires_at TEXT NOT NULL,
        PRIMARY KEY (user_id, chat_id, message_id)
    );
    CREATE INDEX milestone_prompts_expiry ON milestone_prompts (expires_at)
    """,
    # 23: the command menu Telegram has for each member's and coordinator's private chat (a
    # fingerprint of its commands and language), so a sync publishes only what changed.
    """
    CREATE TABLE command_menus (
        user_id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL
    )
    """,
    # 24: when a coordinator last pressed 🔔 Remind those behind on a round: pressed again
    # within the hour, it sends nothing twice and says when the last reminder went.
    """
    CREATE TABLE round_reminders (
        round_id INTEGER PRIMARY KEY REFERENCES rounds (id) ON DELETE CASCADE,
        reminded_at TEXT NOT NULL
    )
    """,
    # 25: reasons are never lost. The reason a person is asked for now: their next plain
    # private message is it (one row per person; a newer tap replaces it, it expires; with a
    # delivery, only once that prompt was sent). A prompt remembers the group chat whose card
    # was tapped, so a refused private prompt is answered there, once per person per round.
    """
    CREATE TABLE pending_reasons (
        user_id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        recommendation_id INTEGER NOT NULL,
        delivery_id INTEGER REFERENCES deliveries (id) ON DELETE CASCADE,
        next_card INTEGER NOT NULL DEFAULT 0 CHECK (next_card IN (0, 1)),
        expires_at TEXT NOT NULL
    );
    CREATE INDEX pending_reasons_expiry ON pending_reasons (expires_at);
    ALTER TABLE reason_prompts ADD COLUMN origin_chat_id INTEGER;
    ALTER TABLE reason_prompts ADD COLUMN origin_topic_id INTEGER;
    CREATE TABLE private_chat_hints (
        user_id INTEGER NOT NULL,
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        PRIMARY KEY (user_id, round_id)
    )
    """,
    # 26: messages sent and not pinned where pinning was asked (the bot may not pin in that
    # group): kept until whoever asked is told, once, which chats did not pin.
    """
    CREATE TABLE unpinned (
        delivery_id INTEGER PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
        reference TEXT,
        chat_id INTEGER NOT NULL,
        error TEXT NOT NULL,
        at TEXT NOT NULL,
        reported_at TEXT
    );
    CREATE INDEX unpinned_unreported ON unpinned (reference) WHERE reported_at IS NULL
    """,
    # 27: "add the bot to your group" links (t.me/<bot>?startgroup=<token>), one working group
    # each; the token is stored hashed like an invite's, used once, and expires.
    """
    CREATE TABLE group_links (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        working_group_id INTEGER NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_in INTEGER
    );
    CREATE INDEX group_links_expiry ON group_links (expires_at)
    """,
    # 28: which occurrence of a recurring action a status change was about (its day, ISO):
    # Done on one occurrence marks that one done and the action goes on to the next.
    """
    ALTER TABLE action_history ADD COLUMN occurrence TEXT
    """,
    # 29: a round being opened through buttons (/openround alone): its draft keeps the choices
    # so far (JSON) until the last step turns it into a draft awaiting [Open] (guide NULL).
    """
    ALTER TABLE round_drafts ADD COLUMN guide TEXT
    """,
    # 30: translating the recommendations in chat (bot/domain/translations.py): translators
    # appointed by coordinators; who drafted and who reviewed each Khmer text, and when; the
    # text a translator is asked for (their next message is it, until it expires); what each
    # one skipped (for a day).
    """
    CREATE TABLE translators (
        user_id INTEGER PRIMARY KEY,
        -- their Telegram name when they last saved a text (shown to coordinators)
        display_name TEXT NOT NULL DEFAULT '',
        appointed_by INTEGER NOT NULL,
        appointed_at TEXT NOT NULL
    );
    ALTER TABLE translations ADD COLUMN translator_id INTEGER;
    ALTER TABLE translations ADD COLUMN translated_at TEXT;
    ALTER TABLE translations ADD COLUMN reviewer TEXT NOT NULL DEFAULT '';
    ALTER TABLE translations ADD COLUMN reviewer_id INTEGER;
    ALTER TABLE translations ADD COLUMN reviewed_at TEXT;
    UPDATE translations SET translated_at = updated_at;
    CREATE TABLE translation_prompts (
        user_id INTEGER PRIMARY KEY,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        -- 'translate': a new draft; 'review': a reviewer's corrected text (then reviewed).
        purpose TEXT NOT NULL CHECK (purpose IN ('translate', 'review')),
        expires_at TEXT NOT NULL
    );
    CREATE TABLE translation_skips (
        user_id INTEGER NOT NULL,
        recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
        purpose TEXT NOT NULL CHECK (purpose IN ('translate', 'review')),
        expires_at TEXT NOT NULL,
        PRIMARY KEY (user_id, recommendation_id, purpose)
    )
    """,
    # 31: a round's ratings by organisation (its audience's progress, /rate's "what is left"):
    # found through an index, not by reading every rating of the round.
    """
    CREATE INDEX ratings_organisation ON ratings (round_id, organisation_id)
    """,
    # 32: a Working Group report a coordinator sent, read and previewed, awaiting [Import]: the
    # report's public text as JSON, kept across restarts until it expires or is imported.
    """
    CREATE TABLE report_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an old [Import] imports nothing
        user_id INTEGER NOT NULL,
        cycle INTEGER,
        content TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX report_drafts_expiry ON report_drafts (expires_at)
    """,
    # 33: what became of a round's draft, kept until it expires: the round its [Open] opened,
    # or cancelled, so that a second tap on the preview ends it the same way as the first.
    """
    ALTER TABLE round_drafts ADD COLUMN opened_round INTEGER;
    ALTER TABLE round_drafts ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0
    """,
    # 34: a closed round's ratings with the working groups they count in (the results tables
    # and the export read them in one query): found by rating, not by scanning the round.
    """
    CREATE INDEX frozen_group_ratings_rating ON frozen_group_ratings (rating_id, working_group_id)
    """,
    # 35: the ids of deleted rounds, so that a new round never gets one (a card of the deleted
    # round would rate in it): a new round's id is above every id a round has ever had.
    """
    CREATE TABLE retired_rounds (id INTEGER PRIMARY KEY)
    """,
    # 36: how many organisations whose membership was paused at the close had rated (their
    # ratings count in the results): the results' "N of M took part" names them too.
    """
    ALTER TABLE frozen_participation ADD COLUMN paused INTEGER NOT NULL DEFAULT 0
    """,
    # 37: any write to what the catalog's rows are read from draws a new generation (the kept
    # rows, storage/catalog_cache.py, are not used across it): the bot's own writes, an edit made
    # by hand with the sqlite3 shell, or one by an older version of the bot; and one now (rows
    # kept before, of a database edited by hand, are not used).
    ";\n".join([*CATALOG_TRIGGERS.values(), NEW_GENERATION]),
    # 38: a round's colours counted in an index, no rating read (the results tables and the
    # export: a tenth of a second at 1,000 organisations; with the organisation, a working
    # group's card counts read the index alone too); and no stored reason ends in whitespace
    # (the reasons cells add none of it back, and skip trimming each reason): those stored
    # before trimmed, and triggers trim one written any other way than the bot's (by hand).
    ";\n".join(
        [
            "CREATE INDEX ratings_colours ON ratings "
            "(round_id, recommendation_id, colour, organisation_id)",
            TRIM_REASONS,
            *REASON_TRIGGERS.values(),
        ]
    ),
)
