from django.urls import re_path

from jobsite.api.routers import OptionalSlashRouter
from workorders.api import autoplan
from workorders.api.availability import AvailabilityView, TechnicianAvailabilityView
from workorders.api.bulk import WorkOrderBulkView
from workorders.api.proposals import WorkOrderProposalsView
from workorders.api.views import PlanningViewSet, ProjectViewSet, WorkOrderViewSet

router = OptionalSlashRouter()
router.register("workorders", WorkOrderViewSet, basename="workorder")
router.register("projects", ProjectViewSet, basename="project")
router.register("plannings", PlanningViewSet, basename="planning")

urlpatterns = [
    # Before the router: "bulk" would otherwise read as a work order id.
    re_path(r"^workorders/bulk/?$", WorkOrderBulkView.as_view(), name="workorder-bulk"),
    # Beside the technicians of jobsite.api, which may not import this app's plannings.
    re_path(
        r"^technicians/(?P<pk>[^/.]+)/availability/?$",
        TechnicianAvailabilityView.as_view(),
        name="technician-availability",
    ),
    re_path(r"^availability/?$", AvailabilityView.as_view(), name="availability"),
    re_path(
        r"^workorders/(?P<pk>[^/.]+)/proposals/?$",
        WorkOrderProposalsView.as_view(),
        name="workorder-proposals",
    ),
    *autoplan.urlpatterns,
    *router.urls,
]
