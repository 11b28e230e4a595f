from django.db import migrations, models


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE jobsite_ratecount SET UNLOGGED")


class Migration(migrations.Migration):
    dependencies = [("jobsite", "0005_merge_20261202_1452")]

    operations = [
        migrations.CreateModel(
            name="RateCount",
            fields=[
                (
                    "window_key",
                    models.CharField(max_length=120, primary_key=True, serialize=False),
                ),
                ("hits", models.PositiveIntegerField(default=0)),
                (
                    "expires",
                    models.BigIntegerField(
                        db_index=True, help_text="When the window ends, Unix time."
                    ),
                ),
            ],
            options={"db_table": "jobsite_ratecount"},
        ),
        migrations.RunPython(unlogged, migrations.RunPython.noop, elidable=True),
    ]
