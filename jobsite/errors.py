class ServiceError(Exception):
    """A business rule refused the request. `field` names the offending input field (a path
    such as `project.equipment_model.code` for nested input)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict:
        return {self.field or "non_field_errors": [self.message]}


class TooManyAttempts(Exception):
    """Refused untried: too many recent failures. `wait`: seconds until a try counts again."""

    def __init__(self, message: str, *, wait: int):
        super().__init__(message)
        self.message = message
        self.wait = wait
