from workorders.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = "Import projects from a CSV, JSON or XLSX file with the seed-004 project field names."
    kind = "projects"
