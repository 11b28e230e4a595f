"""Which record a code names when several share it: one policy for every reader of codes (the
reference resolver of work orders, bulk and imports, and the fulfillment API's job types), and
which stored record an upsert matches by its own reference back office."""

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


def choose_stored_record[T](
    candidates: Sequence[T], *, organization_of: Callable[[T], object], organization
) -> tuple[T | None, bool]:
    """(the stored record, ambiguous) that a record being written names by its own reference
    back office (an upsert's match). References are unique per sales organization, so it is
    the one of the record's `organization` when that is known (a planner's own; a superuser's
    from what the record names: a work order's project, a project's company), never another
    organization's. Unknown, one candidate wins and several are ambiguous: the caller asks for
    the id rather than guessing."""
    if organization is not None:
        candidates = [c for c in candidates if organization_of(c) == organization]
    return choose_by_code(candidates, organization_of=organization_of, context_org=None)
