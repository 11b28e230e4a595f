from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from jobsite.admin_time_zone import time_zone_view

# JSON for an API path no route matches (with DEBUG off; DEBUG shows Django's debug page).
handler404 = "jobsite.api.views.not_found"

# Each app owns its endpoints under /api/v1/; the root only mounts them.
api_v1 = [
    path("", include("jobsite.api.urls")),
    path("", include("jobs.api.urls")),
    path("", include("workorders.api.urls")),
    path("", include("apijobs.api.urls")),
]

urlpatterns = [
    # Before the admin's own URLs, whose catch-all would take it.
    path("admin/time-zone/", admin.site.admin_view(time_zone_view), name="admin-time-zone"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
