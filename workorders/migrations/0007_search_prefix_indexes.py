# The admin's search (workorders.search) matches references and the site's city from their
# start, case-insensitively, which Django writes as UPPER(column::text) LIKE UPPER('word%'): a
# btree with text_pattern_ops on that expression answers it on PostgreSQL at any collation.
# SQLite has no such operator class; there the migration does nothing (its search is bounded by
# the list's paging and capped count instead).

from django.db import migrations

PREFIX_INDEXES = {
    "wo_ref_upper_prefix_idx": ("workorders_workorder", "reference_back_office"),
    "wo_customer_ref_upper_prefix_idx": ("workorders_workorder", "customer_reference"),
    "wo_city_upper_prefix_idx": ("workorders_workorder", "db_address_city"),
    "project_ref_upper_prefix_idx": ("workorders_project", "reference_back_office"),
}


# The planner's home counts the plannings with warnings: few among a million, found by a partial
# index instead of a scan of every planning.
WARNED_PLANNINGS_INDEX = "planning_warned_start_idx"


# A search by city probes the work orders' own site (db_address_id), which had no index.
SITE_INDEX = "wo_db_address_idx"


def create_prefix_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {SITE_INDEX} ON workorders_workorder (db_address_id)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {WARNED_PLANNINGS_INDEX} ON workorders_jobplanning "
        "(date_start) WHERE warning_codes <> ''"
    )
    for name, (table, column) in PREFIX_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"(UPPER({column}::text) text_pattern_ops)"
        )
    schema_editor.execute("ANALYZE workorders_workorder")
    schema_editor.execute("ANALYZE workorders_project")


def drop_prefix_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*PREFIX_INDEXES, WARNED_PLANNINGS_INDEX, SITE_INDEX]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0006_merge_20261202_1452"),
    ]

    operations = [
        migrations.RunPython(create_prefix_indexes, drop_prefix_indexes, elidable=False),
    ]
