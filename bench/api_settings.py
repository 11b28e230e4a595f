"""Settings for bench/api.py's server: production-like (DEBUG off) plus the floor view's urls."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DEBUG", "false")
# The load generators send as one token, faster than any integration: counted (its cost is in
# the figures) but never refused.
os.environ.setdefault("API_RATE_LIMIT", "1000000000/min")

from jobsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
