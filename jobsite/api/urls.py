"""Directory endpoints (companies, contacts, skills, users, sales organizations), calendars
(technicians, working hours, absences, holidays) and auth."""

from django.urls import re_path

from jobsite.api.calendars import AbsenceViewSet, HolidayViewSet
from jobsite.api.directory import CompanyViewSet, ContactViewSet, SkillViewSet, UserViewSet
from jobsite.api.organizations import SalesOrganizationViewSet, TechnicianViewSet
from jobsite.api.routers import OptionalSlashRouter
from jobsite.api.views import LoginView, LogoutView

router = OptionalSlashRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("skills", SkillViewSet, basename="skill")
router.register("users", UserViewSet, basename="user")
router.register("sales-organizations", SalesOrganizationViewSet, basename="sales-organization")
router.register("technicians", TechnicianViewSet, basename="technician")
router.register("absences", AbsenceViewSet, basename="absence")
router.register("holidays", HolidayViewSet, basename="holiday")

urlpatterns = [
    re_path(r"^auth/login/?$", LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/logout/?$", LogoutView.as_view(), name="auth-logout"),
    *router.urls,
]
