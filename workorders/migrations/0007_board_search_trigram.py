"""The planning board's pane: an index on (organization, due date), and a trigram index on the
work order's city for the search of the work to
plan (the name has one since 0002), on PostgreSQL only: at 1,000,000 work orders a word found
nowhere read every waiting work order of the organization; with both, index lookups. SQLite
has no such index and searches by scanning, which its sizes allow."""

from django.db import migrations

INDEXES = {
    "wo_city_trgm": ("workorders_workorder", "db_address_city"),
}


# The pane's first page: an organization's work by due date (the due date's own index made a
# small organization's page read the big ones' rows first: 1 s at 1,000,000 work orders).
DUE_INDEX = "wo_org_due_idx"


# ... and by priority, then due date (board_unplanned._by_priority).
PRIORITY_INDEX = "wo_org_priority_due_idx"


def create(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {DUE_INDEX} ON workorders_workorder "
        "(sales_organization_id, due_date)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {PRIORITY_INDEX} ON workorders_workorder "
        "(sales_organization_id, job_priority_id, due_date)"
    )
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        # The expression Django's icontains compares: UPPER("column"::text) LIKE UPPER(%s).
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin '
            f'((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {DUE_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {PRIORITY_INDEX}")
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0006_merge_20261202_1452"),
    ]

    operations = [migrations.RunPython(create, drop)]
