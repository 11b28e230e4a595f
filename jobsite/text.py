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
    if isinstance(value, str):
        problem = unstorable(value, surrogates_only=surrogates_only)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}".lstrip(".")
            problem = unstorable(str(key), surrogates_only=surrogates_only)
            if problem:
                return where, problem
            found = find_unstorable(item, where, surrogates_only=surrogates_only)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = find_unstorable(item, f"{path}[{i}]", surrogates_only=surrogates_only)
            if found is not None:
                return found
    return None
