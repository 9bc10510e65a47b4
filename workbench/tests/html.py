"""Reading pages in tests: a table's rows as lists of cell texts, whitespace collapsed."""

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._stack: list[dict] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "table":
            table = {"classes": (named.get("class") or "").split(), "rows": [], "row_classes": []}
            self.tables.append(table)
            self._stack.append(table)
        elif tag == "tr" and self._stack:
            self._row = []
            self._stack[-1]["row_classes"].append((named.get("class") or "").split())
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self._stack[-1]["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> list[dict]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table_rows(html: str, css_class: str = "data", *, with_classes: bool = False) -> list:
    """The body rows (header row left out) of the first table with ``css_class``."""
    table = next(t for t in tables(html) if css_class in t["classes"])
    rows = list(zip(table["rows"], table["row_classes"], strict=True))[1:]
    return [(cells, classes) for cells, classes in rows] if with_classes else [cells for cells, _ in rows]


def text(html: str) -> str:
    """The page's text, whitespace collapsed (for phrases that cross tags)."""

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def list_entries(html: str, element_id: str) -> list[str]:
    """The text of each item of the list with ``element_id``, leaving out its ``meta`` parts (times,
    channels, delivery attempts), whitespace collapsed."""

    class _Items(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.items: list[list[str]] = []
            self.depth = 0  # open tags inside the list, the list's own included
            self.hidden = 0  # open tags inside a ``meta`` part

        def handle_starttag(self, tag, attrs):
            named = dict(attrs)
            if self.depth == 0:
                self.depth = 1 if named.get("id") == element_id else 0
                return
            self.depth += 1
            if self.hidden or "meta" in (named.get("class") or "").split():
                self.hidden += 1
            elif tag == "li" and self.depth == 2:
                self.items.append([])

        def handle_endtag(self, tag):
            if self.depth == 0:
                return
            self.depth -= 1
            if self.hidden:
                self.hidden -= 1

        def handle_data(self, data):
            if self.depth >= 2 and not self.hidden and self.items:
                self.items[-1].append(data)

    parser = _Items()
    parser.feed(html)
    return [" ".join("".join(parts).split()) for parts in parser.items]
