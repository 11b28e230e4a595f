"""The application's urls plus the floor: a bare view doing one raw UPDATE of the row."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from jobsite.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def floor(request, pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workorders_workorder SET date_update = now() WHERE id = %s", [str(pk)]
        )
    return HttpResponse(b"{}", content_type="application/json")


urlpatterns = [path("bench/floor/<uuid:pk>", floor), *app_urlpatterns]
