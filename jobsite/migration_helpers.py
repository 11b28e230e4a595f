"""Helpers that data migrations share. They take the historical models as arguments, so a later
change of the real models cannot change what an old migration does."""

import uuid


def claim_addresses(*, Address, referrer, address_field: str, org_field: str) -> None:
    """Give each address the sales organization of the rows of `referrer` that point at it.

    An address that rows of several sales organizations point at is copied, one copy per further
    organization, and those rows are pointed at their organization's copy: no organization keeps
    a reference into another's data."""
    owners = dict(
        Address.objects.filter(sales_organization__isnull=False).values_list(
            "pk", "sales_organization_id"
        )
    )
    pairs = (
        referrer.objects.filter(
            **{f"{address_field}__isnull": False, f"{org_field}__isnull": False}
        )
        .values_list(address_field, org_field)
        .distinct()
        .order_by()
    )
    for address_id, org_id in list(pairs):
        owner = owners.get(address_id)
        if owner is None:
            Address.objects.filter(pk=address_id).update(sales_organization_id=org_id)
            owners[address_id] = org_id
        elif owner != org_id:
            copy = Address.objects.get(pk=address_id)
            copy.pk = uuid.uuid4()
            copy.sales_organization_id = org_id
            copy.save(force_insert=True)
            owners[copy.pk] = org_id
            referrer.objects.filter(**{address_field: address_id, org_field: org_id}).update(
                **{address_field: copy.pk}
            )
