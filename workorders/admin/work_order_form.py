"""How the work order change form is laid out and labelled: the site address open when it says
something, with the labels a planner reads (Street, City, Postcode…), and plain widgets for the
vocabulary a planner picks but never edits from here (no add / change / view icons beside a
status or a priority: each costs a permission check and three URL lookups per page)."""

SITE_ADDRESS = "Site address"
SITE_LABELS = {
    "db_address": "From the address book",
    "db_address_name": "Name",
    "db_address_street": "Street",
    "db_address_street_number": "Number",
    "db_address_street2": "Street (2nd line)",
    "db_address_zip": "Postcode",
    "db_address_city": "City",
    "db_address_country": "Country",
    "db_address_phone": "Phone",
    "db_address_email": "Email",
    "db_address_latitude": "Latitude",
    "db_address_longitude": "Longitude",
}
# Foreign keys shown without the related-object icons.
PLAIN_RELATED = {
    "job_type",
    "job_priority",
    "job_status",
    "skill",
    "db_address_country",
    "approval_responsible_user",
    "requested_by_contact",
    "requested_by_company",
    "contact",
    "parent",
    "suggested_user",
}


def site_is_filled(work_order) -> bool:
    if work_order is None:
        return False
    return bool(work_order.db_address_id) or any(
        getattr(work_order, name) not in (None, "") for name in SITE_LABELS if name != "db_address"
    )


class WorkOrderFormLayout:
    """A work order ModelAdmin mixin: the site address section and the fields' widgets."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if site_is_filled(obj):
            return fieldsets
        # Nothing to read there: folded, one click away.
        return [
            (name, {**options, "classes": ["collapse", *options.get("classes", [])]})
            if name == SITE_ADDRESS
            else (name, options)
            for name, options in fieldsets
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in PLAIN_RELATED:
            # Straight to the foreign key's form field: Django's formfield_for_dbfield would
            # also build the icons' wrapper, asking the related admin for four permissions.
            formfield = self.formfield_for_foreignkey(db_field, request, **kwargs)
        else:
            formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is None:
            return None
        if db_field.name in SITE_LABELS:
            formfield.label = SITE_LABELS[db_field.name]
        return formfield
