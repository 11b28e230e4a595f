"""Odd query parameters are answered (200, 400 or 404), never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/workorders?id2=99999999999999999999999",
        "/api/v1/workorders?search=%00",
        "/api/v1/workorders?reference_back_office=a%00b",
        "/api/v1/workorders?job_status_code=%00",
        "/api/v1/workorders?page_size=%00",
        "/api/v1/workorders?ordering=%00",
        "/api/v1/workorders?due_date_from=%00",
        "/api/v1/workorders/%00",
        "/api/v1/projects?search=%00",
        "/api/v1/projects?company_code=%00",
        "/api/v1/plannings?user_code=%00",
    ],
)
def test_never_a_server_error(api, path):
    response = api.get(path)
    assert response.status_code < 500, response.content
