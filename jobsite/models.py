"""The directory every app refers to: users, sales organizations, companies, contacts, addresses,
countries and skills. Also the API tokens and the number sequences behind `id2`."""

import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from jobsite.numbers import TABLE as NUMBERS_TABLE
from jobsite.numbers import next_numbers, observe_number
from jobsite.ratelimit import TABLE as RATE_COUNT_TABLE


def code_unique_per_organization(model_name: str) -> models.UniqueConstraint:
    """A code names one row per sales organization, whatever its case."""
    return models.UniqueConstraint(
        "sales_organization", Lower("code"), name=f"{model_name}_code_per_salesorg_unique"
    )


# The code of the ValidationError a taken reference back office raises, so that a caller can
# name the field (the constraint spans two, so Django reports it for none).
REFERENCE_USED = "reference_used"


def reference_unique_per_organization(
    model_name: str, label: str, *, within: str = "sales_organization"
) -> models.UniqueConstraint:
    """The ERP's key (reference back office) names one row per sales organization: two
    organizations' ERPs may number alike, and one's references tell nothing of another's.
    The reference leads the index, so a lookup by reference alone (a superuser's, a filter)
    uses it as well as one within an organization. `within`: the column holding the
    organization, or the nearest the table has (a contact's company)."""
    short = "salesorg" if within == "sales_organization" else within
    return models.UniqueConstraint(
        fields=["reference_back_office", within],
        name=f"{model_name}_ref_per_{short}_unique",
        violation_error_code=REFERENCE_USED,
        violation_error_message=f"Already used by another {label}.",
    )


class CaseInsensitiveCodeQuerySet(models.QuerySet):
    def by_code(self, code):
        """Codes match case-insensitively on input and are returned as stored."""
        return self.filter(code__iexact=code)


class AutoNumbered(models.Model):
    """Gives `id2` the next number of its sequence on first save when none was given."""

    number_sequence = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.id2 is None:
            self.id2 = next_numbers(name=self.number_sequence, count=1)[0]
        elif self._state.adding:
            observe_number(name=self.number_sequence, value=self.id2)
        super().save(*args, **kwargs)


class Country(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField("ISO code", max_length=3, unique=True, help_text="ISO 3166 alpha-2")
    name = models.CharField(max_length=100)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self):
        return f"{self.name} ({self.code})"


class Address(models.Model):
    """A postal address (`db_address` in the seeds). It belongs to one sales organization, like
    the companies and projects that refer to it; one without (from before) only superusers see."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sales_organization = models.ForeignKey(
        "SalesOrganization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addresses",
        help_text="Default: your own sales organization.",
    )
    code = models.CharField(max_length=50, blank=True, default="")
    name = models.CharField(max_length=100, blank=True, default="")
    street = models.CharField(max_length=50, blank=True, default="")
    street2 = models.CharField(max_length=50, blank=True, default="")
    street_number = models.CharField(max_length=50, blank=True, default="")
    city = models.CharField(max_length=50, blank=True, default="")
    zip = models.CharField(max_length=50, blank=True, default="")
    country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(max_length=50, blank=True, default="")
    email = models.CharField(max_length=250, blank=True, default="")
    latitude = models.DecimalField(max_digits=10, decimal_places=7, null=True, blank=True)
    longitude = models.DecimalField(max_digits=10, decimal_places=7, null=True, blank=True)
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self):
        parts = [self.name, f"{self.street} {self.street_number}".strip(), self.zip, self.city]
        return ", ".join(p for p in parts if p) or str(self.id)

    def clean(self):
        super().clean()
        if self._state.adding or self.sales_organization_id is None:
            return
        # Moved to another organization: no row of the old one may keep pointing here (the
        # other side of Company.clean and of the work order and project forms).
        for relation in self._meta.get_fields(include_hidden=True):
            if not (relation.auto_created and relation.one_to_many):
                continue
            model = relation.related_model
            owner = "pk" if model is SalesOrganization else "sales_organization"
            if model is not SalesOrganization and not hasattr(model, "sales_organization_id"):
                continue
            referrers = model._default_manager.filter(**{relation.field.name: self.pk})
            if referrers.exclude(**{owner: self.sales_organization_id}).exists():
                raise ValidationError(
                    {
                        "sales_organization": f"{model._meta.verbose_name_plural.capitalize()} "
                        "of another sales organization refer to this address."
                    }
                )


def refuse_another_organizations_address(*, address, sales_organization_id, field: str) -> None:
    """Planners only ever see their own addresses; a superuser sees all, and must not file one
    organization's customer at another's address, nor start its technician's day there."""
    if (
        address is not None
        and address.sales_organization_id is not None
        and address.sales_organization_id != sales_organization_id
    ):
        raise ValidationError({field: "This address belongs to another sales organization."})


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Unknown time zone {value!r}; give an IANA name.") from exc


def default_time_zone() -> str:
    return settings.TIME_ZONE


class SalesOrganization(models.Model):
    """The tenant: users see only the records of their sales organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3, blank=True, default="", help_text="ISO 4217")
    language = models.CharField(max_length=10, blank=True, default="", help_text="e.g. en, fr")
    accountancy_code = models.CharField(max_length=50, blank=True, default="")
    archived = models.BooleanField(default=False)
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(max_length=250, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    fax = models.CharField(max_length=50, blank=True, default="")
    url = models.CharField(max_length=250, blank=True, default="")
    vat_reg_code = models.CharField(max_length=50, blank=True, default="")
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Brussels: planners of this organization plan in it.",
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="salesorg_code_ci_unique"),
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"


class Skill(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.PROTECT, related_name="skills"
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            code_unique_per_organization("skill"),
        ]

    def __str__(self):
        return self.name or self.code


class NumberSequence(models.Model):
    """Counters behind the `id2` auto numbers, portable to SQLite and PostgreSQL.

    Allocation is one `INSERT … ON CONFLICT DO UPDATE … RETURNING`, so a bulk import reserves a
    whole range at once (jobsite/numbers.py: on PostgreSQL outside the caller's transaction)."""

    name = models.CharField(max_length=50, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        db_table = NUMBERS_TABLE

    def __str__(self):
        return f"{self.name}: {self.last_value}"


class User(AutoNumbered, AbstractUser):
    """A planner, a technician or an integration account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    id2 = models.BigIntegerField(unique=True, editable=False)
    code = models.CharField(max_length=50, blank=True, default="")
    sales_organization = models.ForeignKey(
        SalesOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField(max_length=50, blank=True, default="")
    mobile = models.CharField(max_length=50, blank=True, default="")
    is_team_leader = models.BooleanField(default=False)
    team_leader = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="team_members"
    )
    is_technician = models.BooleanField(
        default=False, help_text="Technicians are the rows of the planning board."
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="users")
    base_address = models.ForeignKey(
        Address,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where a technician starts and ends the day.",
    )
    archived = models.BooleanField(default=False)
    disabled = models.BooleanField(default=False)
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = UserManager()
    number_sequence = "user"

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                "sales_organization",
                Lower("code"),
                condition=~models.Q(code=""),
                name="user_code_per_salesorg_unique",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        refuse_another_organizations_address(
            address=self.base_address,
            sales_organization_id=self.sales_organization_id,
            field="base_address",
        )


class Company(AutoNumbered, models.Model):
    """A customer (the `client` of fulfillment jobs, the company of a project)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    id2 = models.BigIntegerField(unique=True, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.PROTECT, related_name="companies"
    )
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference_back_office = models.CharField(max_length=50, null=True, blank=True)
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()
    number_sequence = "company"

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            code_unique_per_organization("company"),
            reference_unique_per_organization("company", "company"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        refuse_another_organizations_address(
            address=self.address, sales_organization_id=self.sales_organization_id, field="address"
        )


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100)
    email = models.CharField(max_length=250, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    reference_back_office = models.CharField(max_length=50, null=True, blank=True)
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        # A contact's organization is its company's, and no constraint reaches through a join:
        # unique per company is what the database can hold (a copy of the organization on the
        # contact would have to follow every move of its company). Lookups stay within the
        # organization, where a reference two of its companies' contacts share asks for the id.
        constraints = [
            reference_unique_per_organization(
                "contact", "contact of this company", within="company"
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; it expires and can be revoked (logout)."""

    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a token.")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"


# --- Calendars: when technicians work (DESIGN "Scheduling") ----------------------------------


class WorkingHours(models.Model):
    """A weekly pattern of working intervals, local to the sales organization's time zone, with
    dates that differ. One per sales organization (technician empty: the default every
    technician of it inherits) and, optionally, one per technician.

    `weekly`: [{"weekday": 1..7 (Monday = 1), "start": "08:00", "end": "12:00"}, ...];
    `exceptions`: [{"date": "2026-12-24", "intervals": [{"start": …, "end": …}]}, ...], an empty
    list of intervals being a day off. Validated by jobsite.calendars.clean_working_hours."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.CASCADE, related_name="working_hours"
    )
    technician = models.OneToOneField(
        "User", null=True, blank=True, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekly = models.JSONField(default=list, blank=True)
    exceptions = models.JSONField(default=list, blank=True)
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "working hours"
        constraints = [
            models.UniqueConstraint(
                "sales_organization",
                condition=models.Q(technician__isnull=True),
                name="workinghours_one_default_per_salesorg",
            ),
        ]

    def __str__(self):
        return f"Working hours of {self.technician or self.sales_organization}"


class AbsenceKind(models.TextChoices):
    TIME_OFF = "time_off", "Time off"
    SICK = "sick", "Sick"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class Absence(models.Model):
    """A technician away: never planned, never proposed, greyed on the board."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    technician = models.ForeignKey("User", on_delete=models.CASCADE, related_name="absences")
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(
        max_length=20, choices=AbsenceKind.choices, default=AbsenceKind.TIME_OFF
    )
    note = models.CharField(max_length=255, blank=True, default="")
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["technician", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="absence_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.technician}: {self.get_kind_display()} {self.start:%Y-%m-%d}"


class Holiday(models.Model):
    """A public holiday of a sales organization: nobody of it works that (local) day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sales_organization = models.ForeignKey(
        SalesOrganization, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=255)
    modified_dateutc = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["sales_organization", "date"], name="holiday_one_per_salesorg_date"
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class RateCount(models.Model):
    """One caller's requests in one fixed window (jobsite/ratelimit.py) when the cache is the
    database: counted by one atomic statement instead of the database cache's read, write and
    cull in a transaction; on PostgreSQL the table is unlogged (a count lost in a crash costs
    nothing), so counting never waits for the disk."""

    window_key = models.CharField(max_length=120, primary_key=True)
    hits = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True, help_text="When the window ends, Unix time.")

    class Meta:
        db_table = RATE_COUNT_TABLE

    def __str__(self):
        return f"{self.window_key}: {self.hits}"
