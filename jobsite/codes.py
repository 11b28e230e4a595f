"""Which record a code names when several share it: one policy for every reader of codes (the
reference resolver of work orders, bulk and imports, and the fulfillment API's job types)."""

from collections.abc import Callable, Sequence


def choose_by_code[T](
    candidates: Sequence[T], *, organization_of: Callable[[T], object], context_org
) -> tuple[T | None, bool]:
    """(the record, ambiguous). One candidate wins; of several, the one of the context's sales
    organization, else the one shared by every organization (none); else none wins and the code
    is ambiguous — the caller asks for the id rather than guessing."""
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), False
    for preferred in (context_org, None):
        chosen = [c for c in candidates if organization_of(c) == preferred]
        if len(chosen) == 1:
            return chosen[0], False
    return None, True
