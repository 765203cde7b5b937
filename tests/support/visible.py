"""What a person sees of a page or document: its text (not its markup, links or scripts), and the raw identifiers in it."""
from __future__ import annotations

from html.parser import HTMLParser

from shared.wording import RAW_IDENTIFIER

SHOWN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in SHOWN_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def raw_identifiers(text: str) -> list[str]:
    """snake_case tokens, rule ids (R4.…) and JSON error bodies a person should never be shown."""
    found = [m.group(0) for m in RAW_IDENTIFIER.finditer(text)]
    return found + (["{\"detail\""] if '{"detail"' in text else [])
