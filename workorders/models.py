"""Equipment, projects (the customer's installations), work orders and their plannings."""

import uuid

from django.conf import settings
from django.db import models

from jobs.models import JobPriority, JobStatus, JobType
from jobsite.models import (
    Address,
    AutoNumbered,
    CaseInsensitiveCodeQuerySet,
    Company,
    Contact,
    Country,
    SalesOrganization,
    Skill,
    code_unique_per_organization,
    reference_unique_per_organization,
)


class EquipmentBrand(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.PROTECT, related_name="+"
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [code_unique_per_organization("equipmentbrand")]

    def __str__(self):
        return self.name


class EquipmentFamily(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.PROTECT, related_name="+"
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "equipment families"
        constraints = [code_unique_per_organization("equipmentfamily")]

    def __str__(self):
        return self.name


class EquipmentModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    equipment_brand = models.ForeignKey(
        EquipmentBrand, null=True, blank=True, on_delete=models.PROTECT, related_name="models"
    )
    equipment_family = models.ForeignKey(
        EquipmentFamily, null=True, blank=True, on_delete=models.PROTECT, related_name="models"
    )
    date_in_production_since = models.DateTimeField(null=True, blank=True)
    date_out_of_production_since = models.DateTimeField(null=True, blank=True)
    date_end_support = models.DateTimeField(null=True, blank=True)
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.PROTECT, related_name="+"
    )
    replacement_period_nb_months = models.IntegerField(null=True, blank=True)
    warranty_period_nb_months = models.IntegerField(null=True, blank=True)
    translations = models.JSONField(default=list, blank=True)
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [code_unique_per_organization("equipmentmodel")]

    def __str__(self):
        return self.name


class ProjectStatus(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.PROTECT, related_name="+"
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "project statuses"
        constraints = [code_unique_per_organization("projectstatus")]

    def __str__(self):
        return self.name


class Project(AutoNumbered, models.Model):
    """The customer's installation or equipment the work is for."""

    number_sequence = "project"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    id2 = models.BigIntegerField(unique=True, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    root_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    equipment_family = models.ForeignKey(
        EquipmentFamily, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    equipment_model = models.ForeignKey(
        EquipmentModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project_status = models.ForeignKey(
        ProjectStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="projects")
    sales_organization = models.ForeignKey(
        SalesOrganization,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The company's; set by the service on every write.",
    )
    db_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.CharField(max_length=255, blank=True, default="")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=4000, blank=True, default="")
    reference_back_office = models.CharField(max_length=50, null=True, blank=True)
    serial_number = models.CharField(max_length=100, blank=True, default="")
    barcode = models.CharField(max_length=100, blank=True, default="")
    date_start_production = models.DateTimeField(null=True, blank=True)
    customer_reference = models.CharField(max_length=50, blank=True, default="")
    warranty_date_until = models.DateTimeField(null=True, blank=True)
    date_built = models.DateTimeField(null=True, blank=True)
    shutdown_consequence = models.CharField(max_length=255, blank=True, default="")
    last_standard_result_score_1 = models.CharField(max_length=50, blank=True, default="")
    last_standard_result_score_2 = models.CharField(max_length=50, blank=True, default="")
    target_standard_result_score_1 = models.CharField(max_length=50, blank=True, default="")
    target_standard_result_score_2 = models.CharField(max_length=50, blank=True, default="")
    back_office_timestamp = models.DateTimeField(null=True, blank=True)
    is_mobile_installation = models.BooleanField(default=False)
    date_create = models.DateTimeField(auto_now_add=True)
    date_update = models.DateTimeField(auto_now=True)
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["sales_organization", "name"])]
        constraints = [reference_unique_per_organization("project", "project")]

    def __str__(self):
        return self.name


class WorkOrder(AutoNumbered, models.Model):
    """A work order ("job" in seed 004): what a technician does on a project."""

    number_sequence = "workorder"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    id2 = models.BigIntegerField(unique=True, editable=False, verbose_name="number")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The multi job this work order belongs to.",
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="work_orders")
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The project's company; set by the service.",
    )
    sales_organization = models.ForeignKey(
        SalesOrganization,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        # wo_salesorg_id2_idx starts with this column: a second index would only slow writes.
        db_index=False,
        help_text="The project's company's; set by the service on every write.",
    )
    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT, related_name="+")
    job_priority = models.ForeignKey(
        JobPriority, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Indexed by wo_status_id2_idx, which starts with it.
    job_status = models.ForeignKey(
        JobStatus, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    db_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    requested_by_company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    requested_by_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reference_back_office = models.CharField(max_length=50, null=True, blank=True)
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=4000, blank=True, default="")
    working_sequence = models.IntegerField(null=True, blank=True)
    internal_memo = models.TextField(blank=True, default="")
    prejob_information = models.TextField(blank=True, default="")
    estimated_time = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes")
    earliest_date_plannable = models.DateTimeField(null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    date_create = models.DateTimeField(editable=False)
    date_update = models.DateTimeField(editable=False)
    date_closed = models.DateTimeField(null=True, blank=True, editable=False)
    # Indexed by wo_suggested_idx, which starts with it.
    suggested_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    suggested_date_start = models.DateTimeField(null=True, blank=True)
    skill = models.ForeignKey(
        Skill, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer_reference = models.CharField(max_length=50, blank=True, default="")
    approval_responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    date_reported_by_company = models.DateTimeField(null=True, blank=True)
    db_address_name = models.CharField(max_length=100, blank=True, default="")
    db_address_street = models.CharField(max_length=50, blank=True, default="")
    db_address_street2 = models.CharField(max_length=50, blank=True, default="")
    db_address_street_number = models.CharField(max_length=50, blank=True, default="")
    db_address_city = models.CharField(max_length=50, blank=True, default="")
    db_address_zip = models.CharField(max_length=50, blank=True, default="")
    db_address_country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    db_address_phone = models.CharField(max_length=50, blank=True, default="")
    db_address_email = models.CharField(max_length=250, blank=True, default="")
    db_address_latitude = models.DecimalField(
        max_digits=10, decimal_places=7, null=True, blank=True
    )
    db_address_longitude = models.DecimalField(
        max_digits=10, decimal_places=7, null=True, blank=True
    )
    estimated_quantity_remark = models.CharField(max_length=4000, blank=True, default="")
    modified_dateutc = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["-id2"]
        indexes = [
            models.Index(fields=["sales_organization", "-id2"], name="wo_salesorg_id2_idx"),
            models.Index(fields=["job_status", "-id2"], name="wo_status_id2_idx"),
            models.Index(fields=["due_date"], name="wo_due_date_idx"),
            models.Index(
                fields=["suggested_user", "suggested_date_start"], name="wo_suggested_idx"
            ),
            models.Index(fields=["modified_dateutc"], name="wo_modified_idx"),
            # The admin's search finds a customer's reference exactly.
            models.Index(fields=["customer_reference"], name="wo_customer_ref_idx"),
        ]
        constraints = [reference_unique_per_organization("workorder", "work order")]

    def __str__(self):
        return f"#{self.id2} {self.name}"


class JobPlanning(models.Model):
    """A technician's appointment for a work order: what the planning board shows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="plannings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plannings"
    )
    date_start = models.DateTimeField()
    date_end = models.DateTimeField()
    made_by_rule = models.BooleanField(
        default=False,
        editable=False,
        help_text="Made by the Suggested rule (which moves or removes it); hand-made ones stay.",
    )
    # The planning check's warnings ({"code", "message", "planning_ids"}), kept current by
    # workorders/scheduling when this planning, a neighbour or the technician's calendar changes.
    warnings = models.JSONField(default=list, blank=True, editable=False)
    # The warnings' codes as ",overlap,holiday," so that lists filter on them on any database.
    warning_codes = models.CharField(max_length=200, blank=True, default="", editable=False)
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date_start"]
        indexes = [
            models.Index(fields=["user", "date_start"], name="planning_user_start_idx"),
            # The planning board reads a week of every technician; the planning list pages by it.
            models.Index(fields=["date_start"], name="planning_start_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order"],
                condition=models.Q(made_by_rule=True),
                name="one_rule_planning_per_work_order",
            ),
            models.CheckConstraint(
                condition=models.Q(date_end__gte=models.F("date_start")),
                name="planning_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.work_order} – {self.user} {self.date_start:%Y-%m-%d %H:%M}"


class PendingPlanningCheck(models.Model):
    """A stretch of a technician's time a set-based write (import, bulk) changed: the plannings
    touching it are checked again by `scheduling.pending_checks.settle`, right after the write
    commits (a task) or first thing in any read of warnings, whichever comes first. Checking
    10,000 plannings and their neighbours inside the write took a third of an import's time."""

    id = models.BigAutoField(primary_key=True)
    # No constraint nor index: written ten thousand at a time, read all at once, then deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    date_start = models.DateTimeField()
    date_end = models.DateTimeField()
    # The planning the write placed here (new or moved), whose `in_the_past` is decided anew;
    # empty for a place a planning left or one whose work order's inputs changed.
    placed_id = models.UUIDField(null=True, blank=True)

    def __str__(self):
        return f"{self.user_id} {self.date_start:%Y-%m-%d %H:%M}–{self.date_end:%H:%M}"
