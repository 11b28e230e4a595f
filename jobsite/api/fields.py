"""Serializer fields every app's API shares."""

import uuid

from rest_framework import serializers


class UUIDField(serializers.UUIDField):
    """A UUID written as a string. DRF's own also takes a number and turns 12345 into
    00000000-0000-0000-0000-000000003039: a client that sent a number meant something else."""

    def to_internal_value(self, data):
        if not isinstance(data, str | uuid.UUID):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)
