"""Installs the job statuses 0–9, the default job type `Unknown` and the priorities."""

from django.db import migrations

STATUSES = [
    (0, "ToBePlanned", "To be planned", "PENDING", True),
    (1, "Waiting", "Waiting", "PENDING", False),
    (2, "Pooling", "Pooling", "PENDING", False),
    (3, "Suggested", "Suggested", "PENDING", False),
    (4, "Activated", "Activated", "PENDING", False),
    (5, "Open", "Open", "PENDING", False),
    (6, "InProgress", "In progress", "IN_PROGRESS", False),
    (7, "Completed", "Completed", "COMPLETED", False),
    (8, "Canceled", "Canceled", "CANCELLED", False),
    (9, "Draft", "Draft", "DRAFT", False),
]

PRIORITIES = [
    ("Low", "Low", 1, False),
    ("Normal", "Normal", 2, True),
    ("High", "High", 3, False),
    ("Urgent", "Urgent", 4, False),
]


def install(apps, schema_editor):
    JobStatus = apps.get_model("jobs", "JobStatus")
    JobType = apps.get_model("jobs", "JobType")
    JobPriority = apps.get_model("jobs", "JobPriority")
    by_number = {}
    for number, code, name, state, is_default in STATUSES:
        by_number[number], _ = JobStatus.objects.update_or_create(
            number=number,
            defaults={
                "code": code,
                "name": name,
                "life_cycle_state": state,
                "is_default": is_default,
            },
        )
    JobType.objects.update_or_create(
        code="Unknown",
        sales_organization=None,
        defaults={
            "name": "Unknown",
            "description": "The default job type.",
            "is_default": True,
            "default_start_status": by_number[6],
            "default_complete_status": by_number[7],
        },
    )
    for code, name, sequence, is_default in PRIORITIES:
        JobPriority.objects.update_or_create(
            code=code,
            sales_organization=None,
            defaults={"name": name, "sequence": sequence, "is_default": is_default},
        )


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
