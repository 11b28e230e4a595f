from django.db import migrations

from jobsite.migration_helpers import claim_addresses


def fill(apps, schema_editor):
    """Addresses only projects and work orders refer to take their sales organization (the
    work order's address is its project's, so projects go first)."""
    Address = apps.get_model("jobsite", "Address")
    for model in ("Project", "WorkOrder"):
        claim_addresses(
            Address=Address,
            referrer=apps.get_model("workorders", model),
            address_field="db_address",
            org_field="sales_organization",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("jobsite", "0002_address_sales_organization"),
        ("workorders", "0002_admin_search_indexes"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
