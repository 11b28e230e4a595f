from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from jobsite.selectors import active_token
from jobsite.services import hash_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` or `Token <token>`; tokens are stored hashed."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        return self.authenticate_raw(raw)

    def authenticate_raw(self, raw: str):
        token = active_token(key_hash=hash_token(raw))
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if not token.user.is_active or token.user.disabled:
            raise exceptions.AuthenticationFailed(_("User inactive or disabled."))
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/login. `Token <token>` works too.",
        }
