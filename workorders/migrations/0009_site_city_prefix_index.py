# The search by city (workorders.search._city_addresses) reads the sites whose city starts with
# the word: UPPER(city::text) LIKE UPPER('word%'). A planner's are found through their sales
# organization's index; a superuser's (every organization's) read every address without this
# prefix index, as 0007 gives the work orders' and projects' columns. PostgreSQL only, as there.

from django.db import migrations

SITE_CITY_INDEX = "address_city_upper_prefix_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {SITE_CITY_INDEX} ON jobsite_address "
        "(UPPER(city::text) text_pattern_ops)"
    )
    schema_editor.execute("ANALYZE jobsite_address")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SITE_CITY_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("jobsite", "0006_rate_count"),
        ("workorders", "0008_merge_20261202_1755"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
