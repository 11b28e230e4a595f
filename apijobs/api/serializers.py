"""The seed-003 shape of an API job, field for field."""

from datetime import UTC

from rest_framework import serializers

from apijobs.models import ApiJob, ApiJobError

SEED_TIME = "%Y-%m-%d %H:%M:%S"
SEED_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


class ApiJobSerializer(serializers.ModelSerializer):
    """`company_id` is the tenant the job belongs to. In the system seed 003 documents, the
    company of an API job is the customer account that owns the data; here that account is the
    sales organization (ApiJob.sales_organization), so its id is returned; null for a job no
    sales organization owns (a superuser's)."""

    id = serializers.CharField(read_only=True)
    company_id = serializers.SerializerMethodField()
    start_time = serializers.DateTimeField(
        format=SEED_TIME, default_timezone=UTC, read_only=True, allow_null=True
    )
    end_time = serializers.DateTimeField(
        format=SEED_TIME, default_timezone=UTC, read_only=True, allow_null=True
    )
    created_at = serializers.DateTimeField(format=SEED_STAMP, default_timezone=UTC, read_only=True)
    updated_at = serializers.DateTimeField(format=SEED_STAMP, default_timezone=UTC, read_only=True)

    class Meta:
        model = ApiJob
        fields = [
            "id",
            "type",
            "company_id",
            "start_time",
            "end_time",
            "status",
            "message",
            "total_records",
            "effected_records",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_company_id(self, job) -> str | None:
        return str(job.sales_organization_id) if job.sales_organization_id else None


class ApiJobErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiJobError
        fields = ["index", "line", "record_id", "field", "message"]
        read_only_fields = fields
