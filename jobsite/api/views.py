from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jobsite.api.throttling import client_address
from jobsite.models import ApiToken
from jobsite.services import issue_api_token, log_in, revoke_api_token


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginView(APIView):
    """Username and password in, bearer token out (the "login method" of seeds 001/002).
    Failed logins are limited per account and per client address (429 with Retry-After)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=LoginInputSerializer,
        responses={
            200: inline_serializer(
                "LoginResponse",
                {
                    "token": serializers.CharField(),
                    "token_type": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                },
            ),
            401: OpenApiResponse(description="Unknown username or wrong password."),
        },
        auth=[],
    )
    def post(self, request):
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = log_in(request=request, address=client_address(request), **data.validated_data)
        if user is None:
            return Response(
                {"detail": "Unknown username or wrong password.", "code": "authentication_failed"},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        raw, token = issue_api_token(user=user)
        return Response({"token": raw, "token_type": "Bearer", "expires_at": token.expires_at})


class LogoutView(APIView):
    """Revokes the token the request was authenticated with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            revoke_api_token(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


def not_found(request, exception=None):
    """An API path no route matches (an id the router cannot read, `/api/v1/nothing`) answers
    JSON like every other API 404; the rest of the site keeps Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
