"""Directory endpoints (companies, contacts, skills, users) and auth."""

from django.urls import re_path

from jobsite.api.routers import OptionalSlashRouter
from jobsite.api.views import LoginView, LogoutView

router = OptionalSlashRouter()

urlpatterns = [
    re_path(r"^auth/login/?$", LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/logout/?$", LogoutView.as_view(), name="auth-logout"),
    *router.urls,
]
