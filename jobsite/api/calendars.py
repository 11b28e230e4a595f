"""Calendars over the API: working hours (the body shared by a technician's and an
organization's), absences and public holidays. Rules live in jobsite.calendar_services (writes)
and jobsite.calendar_selectors (reads); a user sees and writes only their sales organization's."""

from datetime import UTC

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from jobsite import calendar_selectors, calendar_services
from jobsite.api.crud import CrudViewSet, ScopedPrimaryKeyRelatedField, crud_schema
from jobsite.api.directory import TenantFilterSet, own_sales_organization, sales_organization_field
from jobsite.api.fields import UUIDField
from jobsite.api.filters import IsoDateTimeFilter, declare_filters
from jobsite.api.responses import FIELD_ERRORS, NOT_FOUND
from jobsite.errors import ServiceError
from jobsite.models import Absence, AbsenceKind, Holiday, User

# --- working hours ------------------------------------------------------------------------------


class IntervalSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="HH:MM, local to the organization's time zone.")
    end = serializers.CharField(help_text="HH:MM, after the start.")


class WeeklyIntervalSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="1 Monday … 7 Sunday.")
    start = serializers.CharField(help_text="HH:MM, local to the organization's time zone.")
    end = serializers.CharField(help_text="HH:MM, after the start.")


class DateExceptionSerializer(serializers.Serializer):
    date = serializers.DateField()
    intervals = IntervalSerializer(many=True, help_text="That day's hours; empty: a day off.")


class OrganizationWorkingHoursSerializer(serializers.Serializer):
    """A weekly pattern with the dates that differ, in the organization's local time."""

    time_zone = serializers.CharField(read_only=True, help_text="IANA name the times are in.")
    weekly = WeeklyIntervalSerializer(
        many=True,
        allow_null=True,
        help_text="Intervals of one day may not overlap. Null on PUT: back to the default.",
    )
    exceptions = DateExceptionSerializer(many=True, required=False)


class TechnicianWorkingHoursSerializer(OrganizationWorkingHoursSerializer):
    inherited = serializers.BooleanField(
        read_only=True, help_text="True: the organization's pattern applies (PUT weekly null)."
    )
    weekly = WeeklyIntervalSerializer(
        many=True,
        allow_null=True,
        help_text="Intervals of one day may not overlap. Null on PUT: the technician inherits "
        "the organization's pattern again.",
    )


def working_hours_body(request) -> dict:
    """The raw `weekly` and `exceptions` of a PUT: jobsite.calendars checks them, once."""
    body = request.data
    if not isinstance(body, dict):
        raise ServiceError("The body must be a JSON object.", field="non_field_errors")
    if "weekly" not in body:
        raise ServiceError(
            "Give weekly: a list of {weekday, start, end}, or null for the default.",
            field="weekly",
        )
    return {"weekly": body["weekly"], "exceptions": body.get("exceptions")}


def working_hours_action(serializer, *, whose: str, owner: str, read, write):
    """`GET/PUT …/{id}/working-hours`: `read(**{owner: obj})` answers the pattern in force,
    `write(**{owner: obj}, weekly=…, exceptions=…)` stores the body."""

    @extend_schema(
        methods=["GET"],
        summary=f"The working hours of {whose}",
        request=None,
        responses={200: serializer, 404: NOT_FOUND},
        tags=["Calendars"],
    )
    @extend_schema(
        methods=["PUT"],
        summary=f"Replace the working hours of {whose}",
        request=serializer,
        responses={200: serializer, 400: FIELD_ERRORS, 404: NOT_FOUND},
        tags=["Calendars"],
    )
    @action(detail=True, methods=["get", "put"], url_path="working-hours", pagination_class=None)
    def working_hours(self, request, pk=None):
        obj = {owner: self.get_object()}
        if request.method == "PUT":
            write(**obj, **working_hours_body(request))
        return Response(serializer(read(**obj)).data)

    return working_hours


# --- absences -----------------------------------------------------------------------------------


def technician_scope(queryset, *, user):
    return calendar_selectors.technicians(user=user)


class AbsenceFilter(django_filters.FilterSet):
    technician_id = django_filters.UUIDFilter()
    technician_code = django_filters.CharFilter(field_name="technician__code", lookup_expr="iexact")
    kind = django_filters.ChoiceFilter(choices=AbsenceKind.choices)
    modified_after = IsoDateTimeFilter(field_name="modified_dateutc", lookup_expr="gte")

    class Meta:
        model = Absence
        fields = []


# An absence overlaps [from, to) when it ends after `from` and starts before `to`.
declare_filters(
    AbsenceFilter,
    **{
        "from": IsoDateTimeFilter(
            field_name="end", lookup_expr="gt", label="Absences that end after this time."
        ),
        "to": IsoDateTimeFilter(
            field_name="start", lookup_expr="lt", label="Absences that start before this time."
        ),
    },
)


class AbsenceOutput(serializers.ModelSerializer):
    technician_id = serializers.UUIDField()
    technician_code = serializers.CharField(source="technician.code")
    start = serializers.DateTimeField(default_timezone=UTC)
    end = serializers.DateTimeField(default_timezone=UTC)

    class Meta:
        model = Absence
        fields = [
            "id",
            "technician_id",
            "technician_code",
            "start",
            "end",
            "kind",
            "note",
            "modified_dateutc",
        ]
        read_only_fields = fields


class AbsenceInput(serializers.ModelSerializer):
    technician_id = ScopedPrimaryKeyRelatedField(
        source="technician",
        queryset=User.objects.all(),
        scope=technician_scope,
        pk_field=UUIDField(),
        required=False,
        help_text="A technician of your sales organization; or give technician_code.",
    )
    technician_code = serializers.CharField(
        required=False, write_only=True, max_length=50, help_text="Instead of technician_id."
    )
    start = serializers.DateTimeField(default_timezone=UTC, help_text="ISO 8601 with an offset.")
    end = serializers.DateTimeField(default_timezone=UTC, help_text="After the start.")

    class Meta:
        model = Absence
        fields = ["technician_id", "technician_code", "start", "end", "kind", "note"]

    def validate(self, attrs):
        code = attrs.pop("technician_code", None)
        if code is not None:
            user = self.context["request"].user
            by_code = calendar_selectors.technician_by_code(
                user=user, code=code, field="technician_code"
            )
            if attrs.get("technician", by_code) != by_code:
                raise serializers.ValidationError(
                    {"technician_code": "It names another technician than technician_id."}
                )
            attrs["technician"] = by_code
        if self.instance is None and "technician" not in attrs:
            raise serializers.ValidationError(
                {"technician_id": "Give technician_id or technician_code."}
            )
        return attrs


@crud_schema(input_serializer=AbsenceInput, output_serializer=AbsenceOutput, tag="Calendars")
class AbsenceViewSet(CrudViewSet):
    """Technicians away (time off, sick, training): never planned, never proposed."""

    serializer_class = AbsenceOutput
    input_serializer_class = AbsenceInput
    filterset_class = AbsenceFilter
    ordering_fields = ["start", "end", "modified_dateutc"]
    ordering = ["start"]
    search_fields = ["note", "technician__code", "technician__username"]

    queryset = Absence.objects.none()

    def scoped_queryset(self, *, user):
        return calendar_selectors.absences(user=user)

    def write(self, *, instance, data):
        return calendar_services.save_absence(absence=instance or Absence(), values=data)

    def remove(self, *, instance):
        calendar_services.delete_absence(absence=instance)


# --- public holidays ----------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 9999})
class YearFilter(django_filters.Filter):
    field_class = forms.IntegerField


class HolidayFilter(TenantFilterSet):
    year = YearFilter(field_name="date__year", min_value=1, max_value=9999)
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Holiday
        fields = ["sales_organization", "name"]


declare_filters(
    HolidayFilter,
    **{
        "from": django_filters.DateFilter(field_name="date", lookup_expr="gte", label="From"),
        "to": django_filters.DateFilter(field_name="date", lookup_expr="lte", label="To"),
    },
)


class HolidayOutput(serializers.ModelSerializer):
    sales_organization_id = serializers.UUIDField()
    sales_organization_code = serializers.CharField(source="sales_organization.code")

    class Meta:
        model = Holiday
        fields = [
            "id",
            "sales_organization_id",
            "sales_organization_code",
            "date",
            "name",
            "modified_dateutc",
        ]
        read_only_fields = fields


class HolidayInput(serializers.ModelSerializer):
    sales_organization_id = sales_organization_field(required=False)

    class Meta:
        model = Holiday
        fields = ["sales_organization_id", "date", "name"]
        # One holiday a date: checked by the service, once the organization is known.
        validators = []


class HolidayLoadInput(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=calendar_services.HOLIDAY_YEARS.start,
        max_value=calendar_services.HOLIDAY_YEARS.stop - 1,
        help_text="Default: this year.",
        required=False,
    )
    sales_organization_id = sales_organization_field(required=False)


class HolidayLoadOutput(serializers.Serializer):
    sales_organization_id = serializers.UUIDField()
    year = serializers.IntegerField()
    added = serializers.IntegerField(help_text="Dates added; dates already there are kept.")
    holidays = HolidayOutput(many=True, help_text="The organization's holidays of that year.")


@crud_schema(input_serializer=HolidayInput, output_serializer=HolidayOutput, tag="Calendars")
class HolidayViewSet(CrudViewSet):
    """Public holidays of a sales organization: nobody of it works that local day."""

    serializer_class = HolidayOutput
    input_serializer_class = HolidayInput
    filterset_class = HolidayFilter
    ordering_fields = ["date", "name", "modified_dateutc"]
    ordering = ["date"]
    search_fields = ["name"]

    queryset = Holiday.objects.none()

    def scoped_queryset(self, *, user):
        return calendar_selectors.holidays(user=user)

    def write(self, *, instance, data):
        data = own_sales_organization(data=data, instance=instance, user=self.request.user)
        return calendar_services.save_holiday(holiday=instance or Holiday(), values=data)

    def remove(self, *, instance):
        calendar_services.delete_holiday(holiday=instance)

    @extend_schema(
        summary="Load the public holidays of a year for your sales organization's country",
        request=HolidayLoadInput,
        responses={200: HolidayLoadOutput, 400: FIELD_ERRORS},
        tags=["Calendars"],
    )
    @action(detail=False, methods=["post"], url_path="load", pagination_class=None)
    def load(self, request):
        body = HolidayLoadInput(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = own_sales_organization(data=body.validated_data, instance=None, user=request.user)
        organization = data["sales_organization"]
        year = data.get("year") or calendar_selectors.this_year(sales_organization=organization)
        added = calendar_services.load_holidays(sales_organization=organization, year=year)
        holidays = self.get_queryset().filter(sales_organization=organization, date__year=year)
        answer = {
            "sales_organization_id": organization.pk,
            "year": year,
            "added": len(added),
            "holidays": holidays,
        }
        return Response(HolidayLoadOutput(answer).data)
