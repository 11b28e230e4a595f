"""Steps every browser test takes: a planner's login, next week's Monday."""

from datetime import timedelta

from django.utils import timezone

from workorders import planning_board


def login(page, live_server, username="planner", password="pw-planner-1"):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#planner-shortcuts")


def next_monday():
    today = timezone.localdate()
    return planning_board.week_start_of(today) + timedelta(days=7)
