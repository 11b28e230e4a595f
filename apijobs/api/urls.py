from apijobs.api.views import ApiJobViewSet
from jobsite.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("api-jobs", ApiJobViewSet, basename="api-job")

urlpatterns = [*router.urls]
