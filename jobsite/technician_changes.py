"""Tell the apps that build on the directory when what they read of a technician changes:
their skills (the many-to-many from either side, by any path: the admin's form, a service, a
shell), their sales organization, whether they are an active technician. Sent as
jobsite.signals.technician_changed(technician_ids=[...]); model signals, so no path can skip
it (a queryset's update() aside, which no path uses on these)."""

from django.db.models.signals import m2m_changed, post_save, pre_save

from jobsite.models import User
from jobsite.signals import technician_changed

WATCHED = ("sales_organization_id", "is_technician", "is_active")
WATCHED_FIELDS = {"sales_organization", "sales_organization_id", "is_technician", "is_active"}


def _note_before_save(sender, instance, raw=False, update_fields=None, **_signal):
    """The watched values as stored, to compare after the save (one query; none for a new
    user, a fixture load, or a save of other fields such as the login's last_login)."""
    if raw or instance._state.adding:
        return
    if update_fields is not None and not WATCHED_FIELDS & set(update_fields):
        return
    instance._watched_before = User.objects.filter(pk=instance.pk).values_list(*WATCHED).first()


def _send_after_save(sender, instance, raw=False, **_signal):
    before = instance.__dict__.pop("_watched_before", None)
    if before is not None and before != tuple(getattr(instance, f) for f in WATCHED):
        technician_changed.send(sender=User, technician_ids=[instance.pk])


def _send_after_skills(sender, instance, action, reverse, pk_set, **_signal):
    """user.skills.add/remove/set/clear, and skill.users.… (reverse: the ids are users')."""
    if action == "pre_clear" and reverse:
        instance._users_before_clear = list(instance.users.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        changed = [instance.pk] if pk_set or action == "post_clear" else []
    elif action == "post_clear":
        changed = instance.__dict__.pop("_users_before_clear", [])
    else:
        changed = list(pk_set or ())
    if changed:
        technician_changed.send(sender=User, technician_ids=changed)


def connect() -> None:
    pre_save.connect(_note_before_save, sender=User, dispatch_uid="technician-before")
    post_save.connect(_send_after_save, sender=User, dispatch_uid="technician-after")
    m2m_changed.connect(
        _send_after_skills, sender=User.skills.through, dispatch_uid="technician-skills"
    )
