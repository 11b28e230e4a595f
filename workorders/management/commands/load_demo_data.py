"""Demo data for a planning office, or a large data set for benchmarks (`--work-orders 1000000`)."""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jobs.models import Job, JobPriority, JobStatus, JobType, StatusNumber
from jobsite.models import Address, Company, Country, SalesOrganization, Skill, User
from jobsite.numbers import next_numbers
from workorders.management.commands._demo_calendars import (
    DEMO_TIME_ZONE,
    DemoAgenda,
    load_demo_calendars,
)
from workorders.models import Project, WorkOrder
from workorders.plannings import sync_suggested_plannings
from workorders.reference_kinds import DIRECTORY_KINDS, KINDS
from workorders.system_fields import apply_project_system_fields, apply_system_fields

PLANNER_USERNAME = "planner"
PLANNER_PASSWORD = "planner-demo-2026"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-demo-2026"
OFFICE_MANAGERS = "Office managers"
# Users, skills, companies, contacts, addresses: what planners refer to but do not change.
DIRECTORY_MODELS = [KINDS[name].model for name in sorted(DIRECTORY_KINDS)]

COUNTRIES = [("BE", "Belgium"), ("NL", "Netherlands"), ("FR", "France"), ("DE", "Germany")]
SALES_ORGS = [
    ("BE01", "Jobsite Belgium", "BE", "EUR", "nl"),
    ("NL01", "Jobsite Nederland", "NL", "EUR", "nl"),
]
SKILLS = [
    ("ELEC", "Electrical"),
    ("HVAC", "Heating & cooling"),
    ("PLUMB", "Plumbing"),
    ("GAS", "Gas appliances"),
]
FIRST = [
    "Anna",
    "Bram",
    "Chloé",
    "Dries",
    "Eva",
    "Finn",
    "Greet",
    "Hugo",
    "Ines",
    "Jules",
    "Kobe",
    "Lotte",
    "Milan",
    "Noor",
    "Olivier",
]
LAST = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
]
# The demo's cities by country, with their latitude and longitude: sites and technicians' bases
# lie around them, so proposals and the auto-plan have real distances to work with.
CITIES = {
    "BE": [
        ("Antwerpen", 51.2194, 4.4025),
        ("Gent", 51.0543, 3.7174),
        ("Brugge", 51.2093, 3.2247),
        ("Leuven", 50.8798, 4.7005),
        ("Mechelen", 51.0259, 4.4776),
    ],
    "NL": [
        ("Utrecht", 52.0907, 5.1214),
        ("Breda", 51.5719, 4.7683),
        ("Eindhoven", 51.4416, 5.4697),
    ],
}
# How far from the city centre a site or a base may lie, in degrees (about 10 km).
AROUND = 0.09
WORK = [
    "Yearly maintenance",
    "Boiler repair",
    "Leak inspection",
    "Install heat pump",
    "Replace thermostat",
    "Gas safety check",
    "Fix circuit breaker",
    "Commissioning",
    "Filter replacement",
    "Emergency call-out",
    "Pump overhaul",
    "Descaling",
]
EQUIPMENT = ["Boiler", "Heat pump", "Air handler", "Chiller", "Water heater", "Switchboard"]

# Share of each status among the demo work orders (by status number).
STATUS_WEIGHTS = {0: 30, 1: 6, 2: 4, 3: 15, 4: 8, 5: 6, 6: 8, 7: 15, 8: 4, 9: 4}
BATCH = 5000


class Command(BaseCommand):
    help = "Load demo data: sales organizations, technicians, companies, projects, work orders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--work-orders", type=int, default=2000, help="How many (default 2000)."
        )
        parser.add_argument("--projects", type=int, default=200)
        parser.add_argument("--companies", type=int, default=50)
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for repeatability.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when work orders already exist."
        )

    def handle(self, *args, **opts):
        if opts["work_orders"] < 0 or opts["projects"] < 1 or opts["companies"] < 1:
            raise CommandError("--work-orders must be ≥ 0, --projects and --companies ≥ 1.")
        if opts["if_empty"] and WorkOrder.objects.exists():
            self.stdout.write("Demo data already loaded.")
            self._print_logins()
            return
        rng = random.Random(opts["seed"])
        started = time.monotonic()
        with transaction.atomic():
            orgs, technicians = self._directory(rng)
            load_demo_calendars(orgs=orgs, technicians=technicians)
            companies = self._companies(rng, orgs, opts["companies"])
            projects = self._projects(rng, companies, opts["projects"])
            self._fulfillment_jobs(rng, companies, technicians)
        self._work_orders(rng, projects, technicians, opts["work_orders"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {opts['work_orders']} work orders on {len(projects)} projects in "
                f"{time.monotonic() - started:.1f}s."
            )
        )
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(
            f"Planner login: {PLANNER_USERNAME} / {PLANNER_PASSWORD} (sales organization BE01)\n"
            f"Admin login:   {ADMIN_USERNAME} / {ADMIN_PASSWORD} (every sales organization)"
        )

    def _directory(self, rng):
        countries = {
            code: Country.objects.update_or_create(code=code, defaults={"name": name})[0]
            for code, name in COUNTRIES
        }
        orgs, technicians = [], {}
        for code, name, country, currency, language in SALES_ORGS:
            org, _ = SalesOrganization.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "country": countries[country],
                    "currency": currency,
                    "language": language,
                    "time_zone": DEMO_TIME_ZONE,
                },
            )
            orgs.append(org)
            skills = [
                Skill.objects.update_or_create(
                    sales_organization=org, code=s_code, defaults={"name": s_name}
                )[0]
                for s_code, s_name in SKILLS
            ]
            technicians[org.pk] = []
            for i in range(5):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                tech, _ = User.objects.update_or_create(
                    username=f"tech.{code.lower()}.{i + 1}",
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "code": f"T{code[:2]}{i + 1:02d}",
                        "sales_organization": org,
                        "is_technician": True,
                        "email": f"tech{i + 1}@{code.lower()}.example",
                        "mobile": f"+32 470 {rng.randint(100000, 999999)}",
                        "is_team_leader": i == 0,
                    },
                )
                tech.skills.set(rng.sample(skills, k=rng.randint(1, 3)))
                if tech.base_address_id is None:
                    tech.base_address = _address(rng, org, country, countries[country])
                    tech.save(update_fields=["base_address"])
                technicians[org.pk].append(tech)
        planners, _ = Group.objects.get_or_create(name="Planners")
        # Planners work with the business records, not with the system's plumbing. They refer to
        # users, skills, companies, contacts and addresses but do not change them (DESIGN
        # "Rules": an embedded directory record in a work order is then only a reference).
        change, manage = Q(), Q()
        for model in DIRECTORY_MODELS:
            app, name = model._meta.app_label, model._meta.model_name
            change |= Q(content_type__app_label=app, codename=f"change_{name}")
            manage |= Q(
                content_type__app_label=app,
                codename__in=[f"view_{name}", f"add_{name}", f"change_{name}"],
            )
        planners.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["jobsite", "jobs", "workorders", "apijobs"]
            )
            .exclude(content_type__model__in=["numbersequence", "apitoken"])
            .exclude(change)
        )
        # Office managers keep the directory: they may add and change those records, also
        # through an embedded object in a work order.
        office_managers, _ = Group.objects.get_or_create(name=OFFICE_MANAGERS)
        office_managers.permissions.set(Permission.objects.filter(manage))
        planner = self._login(PLANNER_USERNAME, PLANNER_PASSWORD, org=orgs[0], superuser=False)
        planner.groups.add(planners)
        self._login(ADMIN_USERNAME, ADMIN_PASSWORD, org=None, superuser=True)
        return orgs, technicians

    def _login(self, username, password, *, org, superuser):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "sales_organization": org,
                "is_staff": True,
                "is_superuser": superuser,
                "first_name": username.capitalize(),
            },
        )
        if created:
            user.set_password(password)
            user.save()
        return user

    def _companies(self, rng, orgs, count):
        existing = Company.objects.count()
        ids = next_numbers(name="company", count=count)
        companies = [
            Company(
                id2=ids[i],
                code=f"C{existing + i + 1:05d}",
                name=f"{rng.choice(LAST)} {rng.choice(['NV', 'BV', 'BVBA', '& Zonen', 'Group'])}",
                sales_organization=orgs[i % len(orgs)],
            )
            for i in range(count)
        ]
        return Company.objects.bulk_create(companies)

    def _projects(self, rng, companies, count):
        organizations = SalesOrganization.objects.select_related("country").in_bulk(
            {c.sales_organization_id for c in companies}
        )
        addresses = Address.objects.bulk_create(
            [
                _address(
                    rng,
                    org,
                    org.country.code if org.country.code in CITIES else "BE",
                    org.country,
                    save=False,
                )
                for org in (
                    organizations[companies[i % len(companies)].sales_organization_id]
                    for i in range(count)
                )
            ]
        )
        existing = Project.objects.count()
        ids = next_numbers(name="project", count=count)
        projects = []
        for i in range(count):
            company = companies[i % len(companies)]
            project = Project(
                id2=ids[i],
                company=company,
                db_address=addresses[i],
                name=f"{rng.choice(EQUIPMENT)} {addresses[i].city} {existing + i + 1}",
                reference_back_office=f"PRJ-{existing + i + 1:06d}",
                serial_number=f"SN{rng.randint(10**7, 10**8 - 1)}",
                is_mobile_installation=rng.random() < 0.05,
            )
            apply_project_system_fields(project=project)
            projects.append(project)
        return Project.objects.bulk_create(projects)

    def _fulfillment_jobs(self, rng, companies, technicians):
        job_type = JobType.objects.get(code="Unknown", sales_organization__isnull=True)
        statuses = {s.number: s for s in JobStatus.objects.all()}
        first = Job.objects.count()
        jobs = []
        for i, number in enumerate([0, 0, 0, 6, 6, 7]):
            company = companies[i % len(companies)]
            techs = technicians[company.sales_organization_id]
            jobs.append(
                Job(
                    number=f"J-{first + i + 1:06d}",
                    description=f"Subscription fulfillment for {company.name}",
                    job_type=job_type,
                    job_status=statuses[number],
                    client=company,
                    sales_organization_id=company.sales_organization_id,
                    assigned_to=rng.choice(techs),
                    total_records=rng.randint(1, 20),
                )
            )
        Job.objects.bulk_create(jobs)

    def _work_orders(self, rng, projects, technicians, count):
        statuses = {s.number: s for s in JobStatus.objects.all()}
        job_type = JobType.objects.get(code="Unknown", sales_organization__isnull=True)
        priorities = list(JobPriority.objects.all())
        skills_by_org = {}
        for skill in Skill.objects.all():
            skills_by_org.setdefault(skill.sales_organization_id, []).append(skill)
        tech_skills = {}
        for user_id, skill_id in User.skills.through.objects.values_list("user_id", "skill_id"):
            tech_skills.setdefault(user_id, []).append(skill_id)
        numbers, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        monday = today - timedelta(days=today.weekday())
        # Appointments spread over enough days that a technician's day holds a few of them,
        # laid end to end in their working hours (no overlap), as a planning office would
        # leave them.
        first_day = -14
        span_days = max(42, count // 50)
        agenda = DemoAgenda(
            technicians=[t for techs in technicians.values() for t in techs],
            first_day=first_day,
            last_day=first_day + span_days,
        )
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            ids = next_numbers(name="workorder", count=size)
            batch = []
            now = timezone.now()
            for i in range(size):
                project = projects[rng.randrange(len(projects))]
                org = project.sales_organization_id
                number = rng.choices(numbers, weights)[0]
                estimated = rng.choice([30, 60, 90, 120, 240])
                technician, start, skill_id = None, None, None
                if number in (3, 4, 5, 6, 7):
                    technician = rng.choice(technicians[org])
                    # Weeks start on first_day, a Monday; the agenda keeps weekends, days off,
                    # holidays and absences free.
                    day = first_day + 7 * rng.randrange(span_days // 7) + rng.randrange(5)
                    start = agenda.place(technician, day, estimated)
                    if start is not None:
                        number = _status_of_appointment(start, estimated, now, rng)
                        if rng.random() < 0.6:
                            skill_id = rng.choice(tech_skills[technician.pk])
                    else:
                        technician, number = None, StatusNumber.TO_BE_PLANNED
                if technician is None:
                    start = monday + timedelta(days=rng.randrange(first_day, span_days))
                    if rng.random() < 0.6:
                        skill_id = rng.choice(skills_by_org[org]).pk
                status = statuses[number]
                # Completed only as an appointment behind now: closed when it ended.
                closed = (
                    start + timedelta(minutes=estimated)
                    if number == StatusNumber.COMPLETED
                    else None
                )
                wo = WorkOrder(
                    id2=ids[i],
                    project=project,
                    job_type=job_type,
                    job_status=status,
                    job_priority=rng.choice(priorities),
                    name=f"{rng.choice(WORK)} – {project.name}",
                    description="Demo work order.",
                    estimated_time=estimated,
                    due_date=start + timedelta(days=rng.randint(-3, 21)),
                    suggested_user=technician,
                    suggested_date_start=start if technician else None,
                    skill_id=skill_id,
                    customer_reference=f"PO{rng.randint(10000, 99999)}",
                    reference_back_office=f"ERP-{ids[i]:08d}",
                )
                apply_system_fields(work_order=wo, previous_state=None, now=now)
                if closed is not None:
                    wo.date_closed = closed  # demo history: closed when the appointment ended
                batch.append(wo)
            with transaction.atomic():
                WorkOrder.objects.bulk_create(batch)
                # The Suggested rule plans what is Suggested; demo plannings of work orders that
                # moved on are made the same way, as if they had been Suggested first.
                sync_suggested_plannings(
                    work_orders=[
                        wo for wo in batch if wo.job_status.number == StatusNumber.SUGGESTED
                    ]
                )
                _plan_moved_on(batch, statuses)
            done += size
            if count > BATCH:
                self.stdout.write(f"  {done}/{count} work orders", ending="\r")
                self.stdout.flush()
        if count > BATCH:
            self.stdout.write("")


def _address(rng, org, country_code, country, *, save=True) -> Address:
    """An address around one of the demo's cities of that country, with its coordinates."""
    city, latitude, longitude = rng.choice(CITIES[country_code])
    address = Address(
        sales_organization=org,
        street=f"{rng.choice(LAST)}straat",
        street_number=str(rng.randint(1, 200)),
        zip=str(rng.randint(1000, 9999)),
        city=city,
        country=country,
        latitude=round(Decimal(latitude + rng.uniform(-AROUND, AROUND)), 6),
        longitude=round(Decimal(longitude + rng.uniform(-AROUND, AROUND)), 6),
    )
    if save:
        address.save()
    return address


def _status_of_appointment(start, minutes, now, rng):
    """A planning office's week: what lies behind is done (a few jobs not yet closed), what is
    running now is in progress, what lies ahead is suggested, activated or open."""
    if start + timedelta(minutes=minutes) <= now:
        return StatusNumber.COMPLETED if rng.random() < 0.85 else StatusNumber.IN_PROGRESS
    if start <= now:
        return StatusNumber.IN_PROGRESS
    return rng.choice(
        [StatusNumber.SUGGESTED, StatusNumber.SUGGESTED, StatusNumber.ACTIVATED, StatusNumber.OPEN]
    )


def _plan_moved_on(batch, statuses):
    """Work orders that moved past Suggested keep the appointment the rule made back then."""
    suggested = statuses[StatusNumber.SUGGESTED]
    moved_on = [wo for wo in batch if wo.suggested_user_id and wo.job_status.number != 3]
    real = {wo.pk: wo.job_status for wo in moved_on}
    for wo in moved_on:
        wo.job_status = suggested
    sync_suggested_plannings(work_orders=moved_on)
    for wo in moved_on:
        wo.job_status = real[wo.pk]
