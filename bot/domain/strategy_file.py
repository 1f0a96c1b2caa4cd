"""Action strategies as spreadsheets in the coalition's template layout (CSV or XLSX, English or
Khmer headers, a working-group column or one group given on import): reading rows into drafts,
and writing a strategy back out with its status, last update and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.i18n import Localizer
from bot.domain.importer import (
    MAX_FILE_ROWS,
    N_,
    RowError,
    UnreadableFile,
    header_key,
    map_columns,
)
from bot.domain.membership import Organisation, UnknownGroup, WorkingGroup, find_group
from bot.domain.model import Recommendation
from bot.domain.spreadsheet import looks_like_formula
from bot.domain.strategy import STATUS_LABELS, Action, ActionDraft
from bot.domain.text import KHMER_DIGITS, normalize

# The template's columns, then what an export adds; the first spelling of each language is the
# one an export writes.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "id", "លេខសម្គាល់"),
    ("group", "Working group", "ក្រុមការងារ"),
    ("cycle", "Cycle", "ជុំ"),
    ("recommendations", "Rec #", "លេខអនុសាសន៍"),
    ("other_mechanisms", "Other UN mechanisms", "យន្តការអង្គការសហប្រជាជាតិផ្សេងទៀត"),
    ("sdg_targets", "SDG targets", "គោលដៅ SDG"),
    ("activity", "CSO action/activity", "សកម្មភាព"),
    ("indicator", "Indicator", "សូចនាករ"),
    ("resources", "Resources needed", "ធនធានដែលត្រូវការ"),
    ("partners", "Potential partners", "ដៃគូដែលអាចមាន"),
    ("timeframe", "Timeframe", "ពេលវេលាកំណត់"),
    ("risks", "Risks and responses", "ហានិភ័យ និងការឆ្លើយតប"),
    ("organisations", "Responsible organisations", "អង្គការទទួលខុសត្រូវ"),
    ("status", "Status", "ស្ថានភាព"),
    ("last_update", "Last update", "បច្ចុប្បន្នភាពចុងក្រោយ"),
    ("notes", "Notes", "កំណត់សម្គាល់"),
)
_EXTRA_SPELLINGS: dict[str, tuple[str, ...]] = {
    "id": ("action id",),
    "group": ("group", "working group slug"),
    "cycle": ("upr cycle", "វដ្ត", "វដ្តទី", "ជុំទី"),  # វដ្ត: files written before ជុំ
    "recommendations": (
        "rec",
        "rec no",
        "rec number",
        "rec numbers",
        "recommendation",
        "recommendations",
        "recommendation number",
        "recommendation numbers",
        "rec and the recommendation recommending state",
        "អនុសាសន៍",
    ),
    "other_mechanisms": (
        "corresponding recommendations from other un mechanisms",
        "other mechanisms",
        "un mechanisms",
    ),
    "sdg_targets": (
        "sdg target",
        "sdg",
        "sdgs",
        "corresponding sdg target",
        "corresponding sdg targets",
    ),
    "activity": ("cso action", "cso activity", "action", "activity", "action activity"),
    "indicator": ("indicators", "indicator to track progress"),
    "resources": ("resources", "ធនធាន"),
    "partners": ("partners", "ដៃគូ"),
    "timeframe": ("time frame", "deadline"),
    "risks": ("risks", "risk", "risks and the response to each risk", "ហានិភ័យ"),
    "organisations": (
        "responsible",
        "responsible organisation",
        "organisations",
        "organisation",
        "lead organisation",
        "lead organisations",
    ),
}
HEADERS: dict[str, tuple[str, ...]] = {
    name: (header_key(en), header_key(km), *_EXTRA_SPELLINGS.get(name, ()))
    for name, en, km in COLUMNS
}
_SEPARATORS = str.maketrans({";": ",", "、": ",", "\n": ","})


@dataclass(frozen=True)
class StrategyRow:
    """One checked line of a strategy file: the action it describes, and its id if it has one."""

    line: int
    sheet: str
    action_id: int | None
    draft: ActionDraft


@dataclass
class ParsedStrategy:
    """A strategy file's rows and the reasons for the bad ones."""

    rows: list[StrategyRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class _BadRow(Exception):
    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _cell(raw: list[str], index: int | None) -> str:
    """A cell's text; an apostrophe our export put before a would-be formula is dropped."""
    text = raw[index].strip() if index is not None and index < len(raw) else ""
    return text[1:] if text.startswith("'") and looks_like_formula(text[1:]) else text


def parse_strategy(
    sheets: Iterable[tuple[str, Iterable[tuple[int, list[str]]]]],
    groups: Sequence[WorkingGroup],
    organisations: Sequence[Organisation],
    *,
    group: WorkingGroup | None = None,
    cycle: int | None = None,
) -> ParsedStrategy:
    """Check every line of every sheet (a CSV file is one) whose first non-empty row is the
    template's header.

    A row without a working group takes `group`, else its sheet's (a sheet named after the
    group: one sheet per working group); `cycle` serves files without a cycle column. Sheets
    without the template's columns (instructions, say) are skipped; UnreadableFile when none
    has them, or when the file is too long.
    """
    by_short = {normalize(o.short_name): o for o in organisations}
    parsed = ParsedStrategy()
    seen: dict[tuple[int, int, str], int] = {}
    found_header = False
    for title, table in sheets:
        rows = iter(table)
        header = next((r for _, r in rows if any(c.strip() for c in r)), [])
        columns = map_columns(header, HEADERS)
        if "activity" not in columns or "recommendations" not in columns:
            continue
        found_header = True
        sheet_group = group or _group(groups, title)
        for line, raw in rows:
            if not any(c.strip() for c in raw):
                continue
            if len(parsed.rows) + len(parsed.errors) >= MAX_FILE_ROWS:
                raise UnreadableFile(
                    N_("more than {limit} rows; nothing was imported"),
                    limit=f"{MAX_FILE_ROWS:,}",
                )
            cells = {name: _cell(raw, columns.get(name)) for name, _, _ in COLUMNS}
            try:
                row = _row(line, title, cells, groups, by_short, sheet_group, cycle)
            except _BadRow as bad:
                parsed.errors.append(RowError(line, bad.message, bad.params, title))
                continue
            key = (row.draft.working_group_id, row.draft.cycle, normalize(row.draft.activity))
            if row.action_id is None and key in seen:
                parsed.errors.append(
                    RowError(
                        line,
                        N_("the same action already appears on line {first}"),
                        {"first": str(seen[key])},
                        title,
                    )
                )
                continue
            seen.setdefault(key, line)
            parsed.rows.append(row)
    if not found_header:
        raise UnreadableFile(
            N_(
                "no columns for the action and its recommendations: expected headers such as "
                "'CSO action/activity' and 'Rec #' (or សកម្មភាព and លេខអនុសាសន៍)"
            )
        )
    return parsed


def _row(
    line: int,
    sheet: str,
    cells: dict[str, str],
    groups: Sequence[WorkingGroup],
    by_short: dict[str, Organisation],
    default_group: WorkingGroup | None,
    default_cycle: int | None,
) -> StrategyRow:
    group = _group(groups, cells["group"]) if cells["group"] else default_group
    if group is None:
        if cells["group"]:
            raise _BadRow(N_("there is no working group {value}"), value=cells["group"])
        raise _BadRow(N_("no working group: add a working group column or give the group"))
    if not cells["recommendations"]:
        raise _BadRow(N_("the recommendation numbers are missing"))
    cycle = default_cycle
    if cells["cycle"]:
        digits = cells["cycle"].translate(KHMER_DIGITS).strip()
        if not digits.isdigit() or not 0 < int(digits) < 100:
            raise _BadRow(N_("cycle {value} is not a cycle number"), value=cells["cycle"])
        cycle = int(digits)
    if cycle is None:
        raise _BadRow(N_("no cycle: add a cycle column or give the cycle when importing"))
    action_id = None
    if cells["id"]:
        ident = cells["id"].translate(KHMER_DIGITS)
        if not ident.isdigit():
            raise _BadRow(N_("{value} is not an action id"), value=cells["id"])
        action_id = int(ident)
    organisation_ids = []
    for name in cells["organisations"].translate(_SEPARATORS).split(","):
        if not name.strip():
            continue
        found = by_short.get(normalize(name))
        if found is None:
            raise _BadRow(N_("there is no organisation {value}"), value=name.strip())
        organisation_ids.append(found.id)
    return StrategyRow(
        line,
        sheet,
        action_id,
        ActionDraft(
            working_group_id=group.id,
            cycle=cycle,
            recommendations=cells["recommendations"],
            other_mechanisms=cells["other_mechanisms"],
            sdg_targets=cells["sdg_targets"],
            activity=cells["activity"],
            indicator=cells["indicator"],
            resources=cells["resources"],
            partners=cells["partners"],
            timeframe=cells["timeframe"],
            risks=cells["risks"],
            organisation_ids=tuple(organisation_ids),
        ),
    )


def _group(groups: Sequence[WorkingGroup], words: str) -> WorkingGroup | None:
    """The group these words name as anywhere in the bot (short name, English or Khmer name or
    their first words), else None."""
    try:
        return find_group(groups, words)
    except UnknownGroup:
        return None


def export_rows(
    actions: Sequence[Action],
    groups: Sequence[WorkingGroup],
    organisations: Sequence[Organisation],
    recommendations: Mapping[int, Recommendation],
    l10n: Localizer,
    tz: dt.tzinfo,
) -> list[list[str | int]]:
    """The strategy in the template's layout in the reader's language (header, group names,
    statuses), with each action's status, last update (its day in `tz`, the coalition's
    TIMEZONE) and latest note: a file that imports back unchanged."""
    km = l10n.language == "km"
    names = {g.id: g.name_km if km else g.slug for g in groups}
    shorts = {o.id: o.short_name for o in organisations}
    table: list[list[str | int]] = [[k if km else en for _, en, k in COLUMNS]]
    for action in actions:
        fields = action.fields
        notes = [change.note for change in action.history if change.note]
        updated = max([action.updated_at, *(c.at for c in action.history)])
        table.append(
            [
                action.id,
                names.get(fields.working_group_id, ""),
                fields.cycle,
                ", ".join(
                    str(recommendations[r].number)
                    for r in fields.recommendation_ids
                    if r in recommendations
                ),
                fields.other_mechanisms,
                fields.sdg_targets,
                fields.activity,
                fields.indicator,
                fields.resources,
                fields.partners,
                fields.timeframe.original,
                fields.risks,
                "; ".join(shorts[o] for o in fields.organisation_ids if o in shorts),
                l10n.gettext(STATUS_LABELS[action.status]),
                updated.astimezone(tz).date().isoformat(),
                notes[-1] if notes else "",
            ]
        )
    return table
