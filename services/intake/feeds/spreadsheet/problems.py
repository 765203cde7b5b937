"""存在问题 cells as problems: a cell listing `1.…；2.…` (or numbered lines) is several problems, each keyed by the
county's own number or by a digest of the project and its normalised words, so the same problem reported again next
month is the same problem, not a new one."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

# A number opening a problem: at the start of the cell, a line, or after ；/;/。 — `1.` `1、` `一、`; `1.5亿元` is an
# amount, not a number (no digit may follow the dot). `(1)` `（一）` `①` number a problem anywhere in the cell.
_NUMBER = re.compile(
    r"(?:(?:^|(?<=[\n；;。]))[ \t\u3000]*"
    r"(?:[0-9０-９]{1,2}[ \t]*(?:[.．、:：]|[)）])(?![0-9０-９])|[一二三四五六七八九十]{1,3}[、.．])"
    r"|[（(][0-9０-９一二三四五六七八九十]{1,3}[)）]|[\u2460-\u2473])[ \t\u3000]*"
)
_TRAILING = "；; \t\n\u3000"
_LEAD_IN = ("：", ":")


def split(text: str) -> list[str]:
    """The problems a cell lists, each as written without its number and trailing separator."""
    starts = list(_NUMBER.finditer(text))
    if not starts:
        return [text.strip(_TRAILING)] if text.strip(_TRAILING) else []
    pieces = []
    preamble = text[: starts[0].start()].strip(_TRAILING)
    if preamble and not preamble.endswith(_LEAD_IN):  # "主要问题：1.…" introduces the list; other words are a problem
        pieces.append(preamble)
    for here, following in zip(starts, [*starts[1:], None], strict=True):
        piece = text[here.end(): following.start() if following else len(text)].strip(_TRAILING)
        if piece:
            pieces.append(piece)
    return pieces


def normalised(description: str) -> str:
    """The words that make a problem the same problem: NFKC, no spaces, no number, no closing punctuation, lower case."""
    words = re.sub(r"\s+", "", unicodedata.normalize("NFKC", description)).lower()
    return words.rstrip("；;。.，,")


def digest_key(project: str, description: str) -> str:
    return "Q" + hashlib.sha256(f"{project}\n{normalised(description)}".encode()).hexdigest()[:16]


def reported(project: str, found: dict[str, Any], month: str | None) -> list[dict[str, Any]]:
    """The `reported_problems` entries of one row: from its 存在问题 cell and the columns beside it."""
    text = found.get("reported_problems.description")
    if not text:
        return []
    pieces = split(str(text))
    number = found.get("reported_problems.key")
    common = {name: found[f"reported_problems.{name}"] for name in ("category", "responsible_department", "reported_on")
              if found.get(f"reported_problems.{name}") is not None}
    problems = []
    for i, piece in enumerate(pieces, start=1):
        key = digest_key(project, piece) if number is None else number if len(pieces) == 1 else f"{number}-{i}"
        problems.append({"key": key, "description": piece, **common, **({"month": month} if month else {})})
    return problems
