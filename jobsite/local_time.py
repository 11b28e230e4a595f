"""Local time: the zone a person reads and enters times in, in the admin and on the board.

A planner plans in their sales organization's zone, so a Belgian 08:00 reads 08:00 in winter
and in summer. Someone without an organization (a superuser) gets the TIME_ZONE setting's, or
the one they picked (kept in their session, see jobsite.admin_time_zone). The API stays in UTC:
its serializers write datetimes in the active zone, and integrations expect UTC whoever calls."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.backends import ModelBackend
from django.db import DatabaseError
from django.utils import timezone

from jobsite.calendars import zone_of
from jobsite.models import User

SESSION_KEY = "jobsite_time_zone"
API_PREFIX = "/api/"


def picked_zone(session) -> ZoneInfo | None:
    name = session.get(SESSION_KEY)
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Picked before a tzdata update dropped it: the default applies again.
        return None


def pick_zone(session, name: str) -> None:
    """Keeps a checked zone name for the session; an empty name goes back to the default."""
    if name:
        session[SESSION_KEY] = name
    else:
        session.pop(SESSION_KEY, None)


def zone_for(user: User, session) -> ZoneInfo:
    """The organization's zone; without one, the picked zone, else the TIME_ZONE setting's."""
    if user.sales_organization_id:
        return zone_of(user.sales_organization)
    return picked_zone(session) or zone_of(None)


class LocalTimeMiddleware:
    """Activates the zone of `zone_for` for a logged-in user's request outside the API. Django
    then shows and parses admin dates (lists, forms, templates, `timezone.localtime`) in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None if request.path_info.startswith(API_PREFIX) else self._zone(request)
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # The zone is thread-local: the thread's next request (maybe an API call) must not
            # inherit it.
            timezone.deactivate()

    def _zone(self, request) -> ZoneInfo | None:
        try:
            if not request.user.is_authenticated:
                return None
            return zone_for(request.user, request.session)
        except DatabaseError:
            # Raised here, it would be a 500; the view meets the same error, which
            # DatabaseUnavailableMiddleware answers with a 503.
            return None


class UserWithOrganizationBackend(ModelBackend):
    """Django's backend, loading the session's user with their sales organization in the same
    query: every admin page reads the organization's zone, and a query more per page would
    cost the list and the change form their query budget."""

    def _users(self):
        return User._default_manager.select_related("sales_organization")

    def get_user(self, user_id):
        try:
            user = self._users().get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        try:
            user = await self._users().aget(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
