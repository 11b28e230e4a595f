"""Reference resolution (DESIGN "Rules"), once, for every entry path and for whole batches.

A seed-004 record names a related record with `x_id`, `x_code` / `x_reference_back_office` or an
embedded object `x`. An embedded object is upserted first (matched by its id, else its code or
reference; created when neither matches) and becomes the reference; an id or code given beside it
must name the same record. Without one, the id decides, else the code. Unknown or disagreeing
identifiers are errors naming the field path (`job_type_id`, `project.equipment_model.code`).

`ReferenceResolver(records=..., by=...)` walks every record of a batch first and loads each kind
of reference with ONE query (ids and codes together), so resolving 1 or 10,000 records costs the
same number of reads. Codes match case-insensitively; references back office match exactly (they
are the ERP's keys, unique as written within a sales organization). A code or reference several
organizations share names the record's own organization's (jobsite/codes.py); when the record
has none yet, it is an error asking for the id.

What an embedded object may do is bounded by tenancy: sales organizations, countries, companies,
contacts, addresses, statuses and parent work orders are only referenced, never created from a
work order body; records shared by every tenant (a global job type) are referenced, not changed,
unless the caller is a superuser. Directory records (users, skills, companies, contacts,
addresses) are written from an embedded object only for a caller with Django's change (and, to
create, add) permission on the model (`may_write_embedded`); for anyone else the object is a
reference matched by id, else key, and its other fields are ignored."""

from typing import Any

from jobsite.errors import ServiceError
from jobsite.tenancy import (
    may_refer,
    organization_for_new_record,
)
from workorders.records import clean_scalar, clean_uuid
from workorders.reference_kinds import (
    ABSENT,
    KINDS,
    Group,
    Kind,
    UnresolvedReference,
    assign,
    key_of,
    may_write_embedded,
    normalized_key,
    other_organization_message,
)
from workorders.reference_loading import LoadedReferences
from workorders.system_fields import apply_project_system_fields, save_project


class ReferenceResolver(LoadedReferences):
    """Resolves the references of a batch of records for one user.

    Construct it with every record (it reads each kind of reference once), then call
    `resolve(record=..., groups=...)` per record. `created` lists what embedded upserts created,
    so a caller that rolls back one record can `forget(...)` them."""

    def foreign_references(
        self, *, record: dict, refs: dict, groups: tuple[Group, ...], organization
    ) -> dict[str, str]:
        """Errors, by the key the record used, for each reference it gives to a row of another
        sales organization than `organization` (the record's own): superusers see every
        organization, but one record stays within one."""
        errors = {}
        for group in groups:
            obj = refs.get(group.field)
            if obj is None:
                continue
            kind = KINDS[group.kind]
            if kind.tenant is None or may_refer(
                record_organization=organization,
                organization=self.org_of(kind, obj),
                shared_when_empty=kind.shared_when_null,
            ):
                continue
            errors[group.given_key(record)] = other_organization_message(kind)
        return errors

    # -- resolving -------------------------------------------------------------------------

    def resolve(
        self, *, record: dict, groups: tuple[Group, ...], prefix: str = "", context_org=None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """`{fk field: object or None}` for the groups the record mentions, and errors by path.

        The first group (the project, for work orders) sets the context sales organization the
        others' codes are looked up in."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for group in groups:
            try:
                value = self._resolve_group(record, group, prefix, context_org)
            except UnresolvedReference as exc:
                errors.update(exc.errors)
                continue
            if value is ABSENT:
                continue
            values[group.field] = value
            if group.kind == "project" and value is not None and context_org is None:
                context_org = value.sales_organization_id
        return values, errors

    def _resolve_group(self, record: dict, group: Group, prefix: str, context_org) -> Any:
        kind = KINDS[group.kind]
        if record.keys().isdisjoint(group.input_keys):
            return ABSENT
        result = None
        embedded_path = f"{prefix}{group.embedded_key}"
        embedded = record.get(group.embedded_key) if group.embedded_key else None
        if embedded is not None:
            if not isinstance(embedded, dict):
                raise UnresolvedReference({embedded_path: "Must be an object."})
            result = self.upsert(
                kind=kind, data=embedded, path=embedded_path, context_org=context_org
            )
        raw_id = record.get(group.id_key) if group.id_key else None
        if raw_id not in (None, ""):
            path = f"{prefix}{group.id_key}"
            try:
                pk = clean_uuid(raw_id)
            except ValueError as exc:
                raise UnresolvedReference({path: str(exc)}) from exc
            if result is not None:
                if result.pk != pk:
                    raise UnresolvedReference(
                        {path: f"Does not name the same {kind.label} as {embedded_path}."}
                    )
            else:
                result = self.get(kind.name, pk)
                if result is None:
                    raise UnresolvedReference({path: f"Unknown {kind.label} id {raw_id}."})
        raw_key = record.get(group.code_key) if group.code_key else None
        if raw_key not in (None, ""):
            path = f"{prefix}{group.code_key}"
            if not isinstance(raw_key, str):
                raise UnresolvedReference({path: "Must be a string."})
            if result is not None:
                if normalized_key(kind, key_of(kind, result) or "") != normalized_key(
                    kind, raw_key
                ):
                    other = embedded_path if embedded is not None else f"{prefix}{group.id_key}"
                    raise UnresolvedReference(
                        {path: f"Does not name the same {kind.label} as {other}."}
                    )
            else:
                result, problem = self._by_code(kind, raw_key, context_org)
                if problem:
                    raise UnresolvedReference({path: problem})
                if result is None:
                    message = f"Unknown {kind.label} {kind.key} {raw_key!r}."
                    raise UnresolvedReference({path: message})
        return result

    def upsert(
        self, *, kind: Kind, data: dict, path: str, context_org=None, own: bool = False
    ) -> Any:
        """An embedded object: matched by id, else key; updated or created (kinds that allow it).
        With `own`, a record in its own right (the projects API's, an import's): its key is
        matched within its own organization only (`stored_by_own_key`), as a work order's.
        Raises UnresolvedReference naming `path.<field>`."""
        p = f"{path}." if path else ""
        try:
            pk = clean_uuid(data.get("id"))
        except ValueError as exc:
            raise UnresolvedReference({f"{p}id": str(exc)}) from exc
        raw_key = data.get(kind.key) if kind.key else None
        if raw_key is not None and not isinstance(raw_key, str):
            raise UnresolvedReference({f"{p}{kind.key}": "Must be a string."})
        obj = self.get(kind.name, pk) if pk else None
        if obj is None and raw_key and pk is None:
            if own:
                obj, problem = self.stored_by_own_key(
                    kind, raw_key, self._own_organization(kind, data)
                )
            else:
                obj, problem = self._by_code(kind, raw_key, context_org)
            if problem:
                raise UnresolvedReference({f"{p}{kind.key}": problem})
        if not kind.scalars or not may_write_embedded(by=self.by, kind=kind, creating=obj is None):
            # Reference only: matched by id, else key; its other fields are ignored.
            if obj is None:
                where = f"{p}id" if pk else f"{p}{kind.key}"
                raise UnresolvedReference({where: f"Unknown {kind.label}."})
            if (
                pk
                and raw_key
                and normalized_key(kind, key_of(kind, obj) or "") != normalized_key(kind, raw_key)
            ):
                raise UnresolvedReference({f"{p}{kind.key}": f"Does not name {kind.label} {pk}."})
            return obj

        errors: dict[str, str] = {}
        own_org = obj and self.org_of(kind, obj)
        refs, ref_errors = self.resolve(
            record=data, groups=kind.groups, prefix=p, context_org=own_org or context_org
        )
        errors.update(ref_errors)
        values = {}
        for name, spec in kind.scalars.items():
            if name in data:
                try:
                    values[spec.field] = clean_scalar(spec, data[name])
                except ValueError as exc:
                    errors[f"{p}{name}"] = str(exc)
        if errors:
            raise UnresolvedReference(errors)
        shared = obj is not None and kind.tenant == "sales_organization" and own_org is None
        if shared and self.visible is not None:
            return obj  # shared by every tenant: referenced, not changed
        return self._write(kind, obj, pk, values, refs, p, context_org)

    def _own_organization(self, kind: Kind, data: dict):
        """The sales organization a record of `kind` names for itself (a project: its
        company's), None when it names none."""
        group = next((g for g in kind.groups if g.field == kind.organization_from), None)
        return None if group is None else self.named_organization(data, group)

    def _write(self, kind: Kind, obj, pk, values: dict, refs: dict, p: str, context_org):
        creating = obj is None
        if creating:
            obj = kind.model(**({"id": pk} if pk else {}))
        changed = []
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed.append(name)
        for name, value in refs.items():
            if getattr(obj, f"{name}_id") != (value.pk if value else None):
                assign(obj, name, value)
                changed.append(name)
        errors = {}
        if kind.name == "project":
            if obj.company_id is None:
                errors[f"{p}company_id"] = "A new project needs company_id or company_code."
            elif (creating or "company" in changed) and (
                obj.sales_organization_id != obj.company.sales_organization_id
            ):
                apply_project_system_fields(project=obj)
                changed.append("sales_organization")
        elif "sales_organization" in {f.name for f in kind.model._meta.fields} and (
            getattr(obj, "sales_organization_id", None) is None
            and kind.defaults_to_context_org
            and creating
        ):
            required = not kind.model._meta.get_field("sales_organization").null
            try:
                obj.sales_organization_id = organization_for_new_record(
                    by=self.by,
                    context=context_org,
                    required=f"{p}sales_organization_id" if required else None,
                )
            except ServiceError as exc:
                errors[exc.field] = exc.message
        if creating:
            for name, spec in kind.scalars.items():
                f = kind.model._meta.get_field(spec.field)
                if spec.kind == "str" and not f.blank and not getattr(obj, spec.field):
                    errors[f"{p}{name}"] = f"Required to create a {kind.label}."
        if kind.tenant == "sales_organization" and self.visible is not None:
            org = getattr(obj, "sales_organization_id", None)
            if org is not None and org not in self.visible:
                errors[f"{p}sales_organization_id"] = "Unknown sales organization."
        if creating and pk is not None and kind.model._base_manager.filter(pk=pk).exists():
            errors[f"{p}id"] = f"Unknown {kind.label}."  # another sales organization's
        if errors:
            raise UnresolvedReference(errors)
        if kind.key and getattr(obj, kind.key, None):
            # Codes and references are unique per organization: another's is no conflict.
            other, _ = self._by_code(kind, getattr(obj, kind.key), self.org_of(kind, obj))
            if (
                other is not None
                and other.pk != obj.pk
                and self.org_of(kind, other) == self.org_of(kind, obj)
            ):
                raise UnresolvedReference(
                    {f"{p}{kind.key}": f"Already used by another {kind.label} ({other.pk})."}
                )
        if creating or changed:
            self.writes += 1
        if kind.name == "project" and (creating or changed):
            save_project(project=obj, by=self.by)
            if creating:
                self.created.append((kind.name, obj))
        elif creating:
            if kind.name == "user":
                obj.set_unusable_password()
            obj.save(force_insert=True)
            self.created.append((kind.name, obj))
        elif changed:
            auto = [f.name for f in kind.model._meta.fields if getattr(f, "auto_now", False)]
            obj.save(update_fields=sorted(set(changed) | set(auto)))
        self._remember(kind, obj)
        return obj
