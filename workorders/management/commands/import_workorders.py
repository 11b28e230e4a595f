from workorders.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = "Import work orders from a CSV, JSON or XLSX file with the seed-004 field names."
    kind = "workorders"
