"""Numbered, forward-only schema migrations. Never edit one that has shipped: add the next."""

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
)
