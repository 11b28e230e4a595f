import pytest
from django.utils import timezone

from jobsite.models import ApiToken

pytestmark = pytest.mark.django_db


def test_login_returns_a_token_that_authenticates_with_bearer_and_token(client, planner):
    response = client.post(
        "/api/v1/auth/login",
        {"username": "planner", "password": "pw-planner-1"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert not ApiToken.objects.filter(key_hash=token).exists(), "tokens are stored hashed"
    for keyword in ("Bearer", "Token"):
        logout = client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"{keyword} {token}")
        if keyword == "Bearer":
            assert logout.status_code == 204
        else:
            assert logout.status_code == 401, "a revoked token no longer works"


def test_wrong_password_is_401_json(client, planner):
    response = client.post(
        "/api/v1/auth/login",
        {"username": "planner", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert "detail" in response.json()


def test_missing_field_names_it(client, db):
    response = client.post("/api/v1/auth/login", {"username": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_expired_token_is_refused(client, api, planner):
    ApiToken.objects.update(expires_at=timezone.now())
    response = client.post("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Bearer {api.raw_token}")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_every_response_carries_a_tx_id(client, db):
    response = client.get("/api/schema/")
    assert len(response["X-Tx-ID"]) == 36
    sent = client.get("/api/schema", HTTP_X_TX_ID="abc-123")
    assert sent["X-Tx-ID"] == "abc-123"


def test_unauthenticated_is_401_json(client, db):
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_docs_are_served_without_a_cdn(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn" not in body.lower()
    assert "swagger-ui" in body
