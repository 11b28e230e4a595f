from rest_framework.routers import DefaultRouter


class OptionalSlashRouter(DefaultRouter):
    """Every path answers with and without a trailing slash: integrations built from the seeds
    send none, and a redirect cannot carry a PUT body."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
