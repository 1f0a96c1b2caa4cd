"""Read the recommendations of a UPR Working Group report from its text lines (plain Python).

The PDF itself is turned into lines elsewhere (bot/pdf_text.py); this module finds the section
"Conclusions and/or recommendations", splits its paragraphs into numbered recommendations,
keeps each text verbatim (only whitespace and line breaks normalised, a line ending in "-"
joined keeping the hyphen), takes the recommending States from the trailing parentheses and the
response from what the paragraph's opening says ("enjoy the support" → accepted, "will be
examined" → pending, "did not enjoy the support" / "noted" → noted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.model import RecNumber, Response
from bot.domain.states import resolve_state


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class ReportRecommendation:
    """One recommendation as the report prints it."""

    number: RecNumber
    text: str
    states: tuple[str, ...]
    response: Response
    printed: str = ""  # the number as printed, when the report misprints it (118.09)


@dataclass(frozen=True)
class ReportParagraph:
    """One paragraph of recommendations: its number, the response it states, how many."""

    number: int
    response: Response
    count: int


@dataclass(frozen=True)
class Doubt:
    """Something a coordinator should check before importing (a msgid and its parameters)."""

    message: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """What a Working Group report says: who was reviewed, when, and the recommendations."""

    symbol: str
    state: str
    session: int | None
    cycle: int | None
    recommendations: tuple[ReportRecommendation, ...]
    paragraphs: tuple[ReportParagraph, ...]
    doubts: tuple[Doubt, ...]

    @property
    def states(self) -> tuple[str, ...]:
        """Every recommending State, in order of first appearance."""
        return tuple(dict.fromkeys(s for rec in self.recommendations for s in rec.states))


class NotAReport(ValueError):
    """The text is not a Working Group report with recommendations (a msgid to translate)."""


def cycle_of_session(session: int) -> int:
    """The UPR cycle of a Working Group session: 1-12 first, then 14 sessions a cycle."""
    return 1 if session <= 12 else (session - 13) // 14 + 2


def read_report(pages: Sequence[Sequence[str]]) -> Report:
    """The recommendations of a report given as its pages' text lines."""
    lines = _body_lines(pages)
    flat = " ".join(line.strip() for line in lines)
    symbol = _first(_SYMBOL, flat) or ""
    session = _session(flat)
    state = _first(_REVIEWED, flat) or ""
    start = next((i for i, line in enumerate(lines) if _is_heading(line)), None)
    if start is None:
        raise NotAReport(N_("It has no section “Conclusions and/or recommendations”."))
    paragraphs = _paragraphs(lines[start + 1 :])
    recommendations: list[ReportRecommendation] = []
    summary: list[ReportParagraph] = []
    doubts: list[Doubt] = []
    for para in paragraphs:
        if not para.items:
            continue
        response = _response(para.intro)
        summary.append(ReportParagraph(para.number, response, len(para.items)))
        for item in para.items:
            recommendations.append(
                ReportRecommendation(
                    RecNumber(para.number, item.number),
                    "",
                    (),
                    response,
                    item.printed,
                )
            )
    if not recommendations:
        raise NotAReport(N_("I found no numbered recommendations in it."))
    texts = [_join(item.lines) for para in paragraphs for item in para.items]
    recommendations = _attribute(recommendations, texts, doubts)
    for rec in recommendations:
        if rec.printed:
            doubts.append(
                Doubt(
                    N_("{printed} is printed where {number} belongs: read as {number}."),
                    {"printed": rec.printed, "number": str(rec.number)},
                )
            )
    return Report(
        symbol=symbol,
        state=state,
        session=session,
        cycle=cycle_of_session(session) if session else None,
        recommendations=tuple(recommendations),
        paragraphs=tuple(summary),
        doubts=tuple(doubts),
    )


# --- page furniture -------------------------------------------------------------------------

_FURNITURE = re.compile(r"A/HRC/[\w./-]+|GE\.\d{2}-\d{4,6}(?:\s*\(\w\))?|\*\d{5,}\*|\d{1,3}")
_FOOTNOTE = re.compile(r"\s*(?:\*{1,3}|∗{1,3})\s+\S")
_PAGE_NUMBER = re.compile(r"\s*(?:Page\s+)?\d{1,3}\s*")


def _is_furniture(line: str) -> bool:
    """A page header or footer: document symbols, job numbers, page numbers and nothing else."""
    stripped = line.strip()
    return bool(stripped) and not _FURNITURE.sub("", stripped).strip()


def _body_lines(pages: Sequence[Sequence[str]]) -> list[str]:
    """Every page's lines without headers, footers and starred footnotes (to the page's end)."""
    out: list[str] = []
    for page in pages:
        for line in page:
            if _FOOTNOTE.match(line):
                break  # a footnote runs to the end of its page
            if _is_furniture(line) or _PAGE_NUMBER.fullmatch(line):
                continue
            out.append(line.rstrip())
    return out


# --- the section and its paragraphs -----------------------------------------------------------

_HEADING = re.compile(r"\s*(?:[IVX]+\.\s*)?Conclusions\s+and/or\s+recommendations\W*$")
_PARAGRAPH = re.compile(r"(\s*)(\d{1,3})\.\s+(?=\S)")
_END = re.compile(r"All conclusions and/or recommendations contained", re.IGNORECASE)


def _is_heading(line: str) -> bool:
    return bool(_HEADING.match(line))


@dataclass
class _Item:
    number: int
    printed: str
    lines: list[str]


@dataclass
class _Paragraph:
    number: int
    indent: int
    intro: list[str]
    items: list[_Item]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _paragraphs(lines: Sequence[str]) -> list[_Paragraph]:
    """Split the section into numbered paragraphs and their numbered items."""
    paragraphs: list[_Paragraph] = []
    current: _Paragraph | None = None
    previous_indent = 0
    for line in lines:
        if not line.strip():
            continue
        head = _PARAGRAPH.match(line)
        if current is None:
            if head is None:
                continue
            current = _Paragraph(int(head.group(2)), _indent(line), [line[head.end() :]], [])
            paragraphs.append(current)
            previous_indent = _indent(line)
            continue
        item = _item_start(line, current)
        starts_paragraph = (
            head is not None
            and int(head.group(2)) == current.number + 1
            and (item is None or _indent(line) < previous_indent - 3)
        )
        if starts_paragraph and head is not None:
            if _END.search(line):
                break
            current = _Paragraph(int(head.group(2)), _indent(line), [line[head.end() :]], [])
            paragraphs.append(current)
        elif item is not None:
            number, printed, rest = item
            current.items.append(_Item(number, printed, [rest]))
        elif current.items:
            current.items[-1].lines.append(line)
        else:
            current.intro.append(line)
        previous_indent = _indent(line)
    return paragraphs


def _item_start(line: str, para: _Paragraph) -> tuple[int, str, str] | None:
    """(number, misprint, rest of line) when the line starts the paragraph's next item."""
    expected = len(para.items) + 1
    dotted = re.match(r"\s*(\d{1,3})\.(\d{1,3})\.?(?:\s+|$)", line)
    if dotted:
        paragraph, printed = dotted.group(1), dotted.group(2)
        if int(paragraph) == para.number and int(printed) == expected:
            return expected, "", line[dotted.end() :]
        if int(paragraph) == para.number and _misprint(printed, str(expected)):
            return expected, f"{paragraph}.{printed}", line[dotted.end() :]
        if abs(int(paragraph) - para.number) == 1 and int(printed) == expected > 1:
            return expected, f"{paragraph}.{printed}", line[dotted.end() :]  # 127.10 in 126
        return None
    if not para.items and not _FOLLOWING.search(" ".join(para.intro)):
        return None
    plain = re.match(r"\s*(\d{1,3})\.?\s+(?=[A-Z(“\"])", line)
    if plain and int(plain.group(1)) == expected and (para.items or expected == 1):
        return expected, "", line[plain.end() :]
    return None


_FOLLOWING = re.compile(r"following recommendations|recommendations? (?:listed )?below", re.I)


def _misprint(printed: str, expected: str) -> bool:
    """True when the printed number is the expected one with one digit dropped (09 for 109)."""
    return len(printed) == len(expected) - 1 and any(
        expected[:i] + expected[i + 1 :] == printed for i in range(len(expected))
    )


def _response(intro: Sequence[str]) -> Response:
    """The response a paragraph's opening states for its recommendations."""
    text = " ".join(" ".join(intro).split()).lower()
    if re.search(
        r"did not (?:enjoy|receive) the support|not supported|cannot be accepted|\bnoted\b|reject",
        text,
    ):
        return Response.NOTED
    if re.search(r"enjoy(?:s|ed)? the support|were accepted|are accepted|supported by", text):
        return Response.ACCEPTED
    return Response.PENDING


# --- texts and States ----------------------------------------------------------------------


def _join(lines: Sequence[str]) -> str:
    """Lines as one text: whitespace collapsed, a line ending in '-' joined keeping the hyphen."""
    text = ""
    for line in lines:
        part = " ".join(line.split())
        if not part:
            continue
        if not text:
            text = part
        elif text.endswith("-") and not text.endswith(" -"):
            text += part
        else:
            text += " " + part
    return text


def _attribute(
    recs: Sequence[ReportRecommendation], texts: Sequence[str], doubts: list[Doubt]
) -> list[ReportRecommendation]:
    """Each recommendation's text and States (the trailing parentheses; all of them for a
    compound item, whose text keeps every part with its own State)."""
    known: set[str] = set()
    for text in texts:
        known.update(_split_states(_last_group(text)[1] or ""))
    out: list[ReportRecommendation] = []
    for rec, text in zip(recs, texts, strict=True):
        body, last = _last_group(text)
        trailing = [last] if last else []
        while True:  # "(Philippines) (Uruguay)": several trailing groups of known States
            before, group = _last_group(body)
            if group is None or not _names_states(group, known):
                break
            body, trailing = before, [group, *trailing]
        inner = [g for g in _top_groups(body) if _names_states(g, known)]
        states: list[str] = []
        for group in [*inner, *trailing]:
            for state in _split_states(group):
                if state not in states:
                    states.append(state)
        final = text.rstrip().rstrip(";.,").rstrip() if inner else body
        if not states:
            doubts.append(Doubt(N_("{number} names no State."), {"number": str(rec.number)}))
        out.append(
            ReportRecommendation(rec.number, final, tuple(states), rec.response, rec.printed)
        )
    return out


def _names_states(group: str, known: set[str]) -> bool:
    """True when every name in the parenthesis is a State (printed as one elsewhere, or known)."""
    names = _split_states(group)
    return bool(names) and all(
        name in known or len(resolve_state(name).key) == 2 for name in names
    )


def _last_group(text: str) -> tuple[str, str | None]:
    """The text without its final '(State)' group and list punctuation, and that group."""
    body = text.rstrip().rstrip(";.,").rstrip()
    if not body.endswith(")"):
        return body, None
    depth = 0
    for index in range(len(body) - 1, -1, -1):
        depth += (body[index] == ")") - (body[index] == "(")
        if depth == 0:
            inside = body[index + 1 : -1]
            if not _looks_like_states(inside):
                return body, None
            return body[:index].rstrip(), inside
    return body, None


def _looks_like_states(inside: str) -> bool:
    """A parenthesis that may name States: capitalised names without digits."""
    parts = _split_states(inside)
    return bool(parts) and all(part[:1].isupper() and not re.search(r"\d", part) for part in parts)


def _top_groups(text: str) -> list[str]:
    """The contents of every top-level parenthesis in the text."""
    groups, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append(text[start + 1 : index])
    return groups


def _split_states(inside: str) -> list[str]:
    """'France, Germany; Iran (Islamic Republic of)' as three names."""
    parts, depth, current = [], 0, ""
    for char in inside:
        depth += (char == "(") - (char == ")")
        if char in ",;" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [part for part in [*parts, current.strip()] if part]


# --- the front page ----------------------------------------------------------------------------

_SYMBOL = re.compile(r"(A/HRC/\d+/\d+(?:/Add\.\d+)?)")
_REVIEWED = re.compile(r"The review of (.+?) was held")
_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
)
_ORDINALS = {word: n for n, word in enumerate(_ORDINAL_WORDS.split(" "), start=1)}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
_TENTHS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60}


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return " ".join(found.group(1).split()) if found else None


def _session(text: str) -> int | None:
    """The Working Group session: 'held its eighteenth session' (or '46th session')."""
    found = re.search(r"held its ([\w–-]+) session", text)
    if not found:
        return None
    return ordinal(found.group(1))


def ordinal(word: str) -> int | None:
    """'eighteenth' → 18, 'forty-sixth' → 46, '46th' → 46; None when not an ordinal."""
    word = word.lower().replace("–", "-")
    digits = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)", word)
    if digits:
        return int(digits.group(1))
    if word in _ORDINALS:
        return _ORDINALS[word]
    if word in _TENTHS:
        return _TENTHS[word]
    tens, _, unit = word.partition("-")
    if tens in _TENS and unit in _ORDINALS and _ORDINALS[unit] < 10:
        return _TENS[tens] + _ORDINALS[unit]
    return None
