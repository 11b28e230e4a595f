from django.urls import re_path

from jobs.api.fulfillment import FulfillmentJobPutView
from jobs.api.fulfillment_jobs import FulfillmentJobViewSet
from jobs.api.life_cycle import CompleteView, StartProgressView
from jobs.api.vocabulary import JobPriorityViewSet, JobStatusViewSet, JobTypeViewSet
from jobsite.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("fulfillment-jobs", FulfillmentJobViewSet, basename="fulfillment-job")
router.register("job-types", JobTypeViewSet, basename="job-type")
router.register("job-statuses", JobStatusViewSet, basename="job-status")
router.register("job-priorities", JobPriorityViewSet, basename="job-priority")

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
