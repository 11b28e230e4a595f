from jobsite.api.routers import OptionalSlashRouter
from workorders.api.views import PlanningViewSet, ProjectViewSet, WorkOrderViewSet

router = OptionalSlashRouter()
router.register("workorders", WorkOrderViewSet, basename="workorder")
router.register("projects", ProjectViewSet, basename="project")
router.register("plannings", PlanningViewSet, basename="planning")

urlpatterns = [*router.urls]
