"""Text no database column can hold: NUL (PostgreSQL refuses it) and UTF-16 surrogates that are
not part of a pair (JSON's "\\ud800" escape decodes to one; no UTF-8 encoder can write it)."""

import re

_NUL = "\x00"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

NUL_MESSAGE = "NUL characters are not allowed."
SURROGATE_MESSAGE = "Invalid text: a lone UTF-16 surrogate (e.g. \\ud800) is not a character."


def unstorable(text: str, *, surrogates_only: bool = False) -> str | None:
    """Why `text` cannot be stored, or None."""
    found = (_SURROGATE if surrogates_only else _UNSTORABLE).search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == _NUL else SURROGATE_MESSAGE


def find_unstorable(value, path="", *, surrogates_only=False) -> tuple[str, str] | None:
    """The path (`a[1].b`) of the first string or key in a JSON value that cannot be stored,
    and why."""
    # Every request body is checked, and nearly all are fine: one search over all their text
    # first (a fifth of the time of a walk naming each path); the walk only to name the place.
    strings: list[str] = []
    _collect_strings(value, strings)
    if (_SURROGATE if surrogates_only else _UNSTORABLE).search("".join(strings)) is None:
        return None
    return _find_unstorable(value, path, surrogates_only=surrogates_only)


def _collect_strings(value, out: list[str]) -> None:
    """Every string and key of a JSON value (joined, they hold a NUL or a lone surrogate when
    one of them does: joining pairs no surrogates)."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.append(str(key))
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict | list):
                _collect_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict | list):
                _collect_strings(item, out)


def _find_unstorable(value, path="", *, surrogates_only=False) -> tuple[str, str] | None:
    if isinstance(value, str):
        problem = unstorable(value, surrogates_only=surrogates_only)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}".lstrip(".")
            problem = unstorable(str(key), surrogates_only=surrogates_only)
            if problem:
                return where, problem
            found = _find_unstorable(item, where, surrogates_only=surrogates_only)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_unstorable(item, f"{path}[{i}]", surrogates_only=surrogates_only)
            if found is not None:
                return found
    return None
