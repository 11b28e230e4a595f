from django.urls import re_path

from jobs.api.fulfillment import FulfillmentJobPutView
from jobs.api.life_cycle import CompleteView, StartProgressView
from jobsite.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()

urlpatterns = [
    # The seeds' paths, exactly as they are written (capital F and J), with or without a slash.
    re_path(r"^Fulfillment/Job/?$", FulfillmentJobPutView.as_view(), name="fulfillment-job-put"),
    re_path(
        r"^jobs/all_scopes/start_progress/?$",
        StartProgressView.as_view(),
        name="jobs-all-scopes-start-progress",
    ),
    re_path(
        r"^jobs/all_scopes/complete/?$", CompleteView.as_view(), name="jobs-all-scopes-complete"
    ),
    *router.urls,
]
