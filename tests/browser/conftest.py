"""Browser tests: Playwright drives Debian's chromium (never a downloaded browser) against
pytest-django's live_server. Screenshots go to artifacts/ (git-ignored)."""

import os
from pathlib import Path

import pytest
from django.db import connections

# The live server listens on a port of this project's range, on 127.0.0.1 only.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1:8171")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def page():
    """A fresh headless chromium per test. Playwright's sync API runs an event loop in this
    thread while it is open; the tests' own ORM calls are still synchronous, so Django's
    async-safety guard is lifted for the test only (a later subprocess must not inherit it)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (`make browser`, or apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev group installs it
        pytest.skip("playwright is not installed (make install-dev)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                yield page
            finally:
                # While Playwright runs, the test's ORM calls get their own connection (Django
                # keeps one per context); left open, it outlives the test and PostgreSQL
                # cannot drop the test database at the end of the run.
                connections.close_all()
            context.close()
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def shot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name, full_page=True):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture(autouse=True)
def vocabulary(transactional_db):
    """The live server needs committed data, so these tests flush the database after each
    one; the statuses, job types and priorities a data migration installed come back here."""
    import importlib

    from django.apps import apps

    importlib.import_module("jobs.migrations.0003_vocabulary").install(apps, None)
