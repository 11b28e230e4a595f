"""Signals the directory sends for apps that build on it (it imports none of them)."""

from django.dispatch import Signal

# A technician's calendar changed: working hours, an absence, a holiday, the time zone.
# Keyword arguments: sales_organization_id; technician_ids (None: every technician of the
# organization); start and end (aware datetimes; None: from now on, open-ended).
calendar_changed = Signal()

# What the planning check reads of technicians changed: their skills, their organization,
# whether they are (active) technicians. Keyword arguments: technician_ids.
technician_changed = Signal()
