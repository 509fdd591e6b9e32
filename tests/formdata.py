"""Read a rendered HTML form the way a browser would submit it."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, action: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self._action = action
        self.data: dict[str, str | list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if self._action is None:
                self._in_form = a.get("id", "").endswith("_form")
            else:
                self._in_form = a.get("action") == self._action
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
                return
            self.data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self._select_first = None
            # A multiple select sends every selected option, and nothing
            # when none is selected; a single one falls back to its first.
            self._multiple = "multiple" in a
        elif tag == "option" and self._select and self._multiple:
            if "selected" in a:
                self.data.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
                self.data.setdefault(self._select, self._select_first)
            if "selected" in a:
                self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data[self._textarea] = "".join(self._text).lstrip("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_data(html: str, action: str | None = None) -> dict[str, str | list[str]]:
    """Return a form's fields and their current values.

    The form is the admin change form, or the one posting to ``action``.
    """
    parser = _FormParser(action)
    parser.feed(html)
    return parser.data
