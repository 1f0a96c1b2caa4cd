"""A PDF's text lines, page by page, read by pypdf in a child process with time and memory limits.

A hostile PDF (a decompression bomb, a page tree that never ends, a parser trap) costs at most
`PDF_SECONDS` and `PDF_MEMORY` in a separate process that is then killed; the bot keeps
answering. Run as `python -m bot.pdf_text` it reads the PDF on stdin and writes JSON on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import Sequence

MAX_PAGES = 200  # a Working Group report has 20-40 pages
PDF_SECONDS = 60.0
PDF_MEMORY = 1024 * 1024 * 1024  # bytes of address space for the child


class UnreadablePdf(ValueError):
    """The file is not a PDF we can read; the message is a msgid, translated where shown."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.message, self.params = message, params


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


_MESSAGES = {
    "not-pdf": N_("It is not a PDF file."),
    "encrypted": N_("The PDF is protected with a password or encrypted."),
    "too-many-pages": N_("The PDF has more than {limit} pages."),
    "broken": N_("The PDF is damaged or uses features I cannot read."),
    "too-slow": N_("Reading the PDF took too long (over {seconds} seconds)."),
}


# What pypdf raises on damaged or hostile files besides its own PdfReadError.
_PARSER_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    MemoryError,
    ZeroDivisionError,
    AssertionError,
)


def pages_of(data: bytes, max_pages: int = MAX_PAGES) -> list[list[str]]:
    """Every page's lines in pypdf's layout mode (indentation kept); raises UnreadablePdf."""
    from pypdf import PdfReader  # imported here: only the child process needs it
    from pypdf.errors import PdfReadError

    if data.lstrip()[:5] != b"%PDF-":
        raise UnreadablePdf(_MESSAGES["not-pdf"])
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted, count = reader.is_encrypted, 0 if reader.is_encrypted else len(reader.pages)
    except (PdfReadError, *_PARSER_ERRORS) as exc:
        raise UnreadablePdf(_MESSAGES["broken"]) from exc
    if encrypted:
        raise UnreadablePdf(_MESSAGES["encrypted"])
    if count > max_pages:
        raise UnreadablePdf(_MESSAGES["too-many-pages"], limit=str(max_pages))
    try:
        return [
            page.extract_text(extraction_mode="layout").replace("\r", "").split("\n")
            for page in reader.pages
        ]
    except (PdfReadError, *_PARSER_ERRORS) as exc:
        raise UnreadablePdf(_MESSAGES["broken"]) from exc


async def read_pdf(
    data: bytes, *, seconds: float = PDF_SECONDS, max_pages: int = MAX_PAGES
) -> list[list[str]]:
    """The PDF's pages as lines, read in a child process killed after `seconds`."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.pdf_text",
        str(max_pages),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(child.communicate(data), timeout=seconds)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
        raise UnreadablePdf(_MESSAGES["too-slow"], seconds=str(int(seconds))) from None
    try:
        answer = json.loads(out)
    except ValueError:
        answer = {"error": "broken", "params": {}}  # killed by its memory limit, or crashed
    if not isinstance(answer, dict):
        raise UnreadablePdf(_MESSAGES["broken"])
    if "error" in answer:
        code = str(answer["error"])
        params = {str(k): str(v) for k, v in dict(answer.get("params") or {}).items()}
        raise UnreadablePdf(_MESSAGES.get(code, _MESSAGES["broken"]), **params)
    return [[str(line) for line in page] for page in answer["pages"]]


def _limit_child() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (PDF_MEMORY, PDF_MEMORY))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every system
        pass


def _main(argv: Sequence[str]) -> int:
    _limit_child()
    max_pages = int(argv[1]) if len(argv) > 1 else MAX_PAGES
    data = sys.stdin.buffer.read()
    try:
        answer: dict[str, object] = {"pages": pages_of(data, max_pages)}
    except UnreadablePdf as exc:
        code = next(k for k, v in _MESSAGES.items() if v == exc.message)
        answer = {"error": code, "params": exc.params}
    except Exception:  # a parser trap we did not foresee: still an answer, never a crash
        answer = {"error": "broken", "params": {}}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
