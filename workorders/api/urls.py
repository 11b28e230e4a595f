from django.urls import re_path

from jobsite.api.routers import OptionalSlashRouter
from workorders.api.bulk import WorkOrderBulkView

router = OptionalSlashRouter()

urlpatterns = [
    re_path(r"^workorders/bulk/?$", WorkOrderBulkView.as_view(), name="workorder-bulk"),
    *router.urls,
]
