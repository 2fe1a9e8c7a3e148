"""warroom.permissions: the one table of who may do what."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from warroom.permissions import Perm, require

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("perm", list(Perm), ids=lambda p: p.name)
def test_every_perm_is_a_real_django_permission(perm):
    """has_perm answers False for a misspelt codename, which would silently refuse everyone."""
    app_label, codename = perm.codename.split(".")
    assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists()


def test_require_refuses_with_the_permissions_own_sentence(responder, commander):
    require(commander, Perm.EXECUTE_MITIGATION)
    with pytest.raises(PermissionDenied, match="Only commanders approve, execute and cancel mitigations"):
        require(responder, Perm.EXECUTE_MITIGATION)


@pytest.mark.parametrize("step", ["approve", "confirm", "cancel"])
def test_mitigations_api_refuses_before_looking_anything_up(api, responder, step):
    """Declared on the endpoint, not only inside the service: a responder hears 403, not 404, for any mitigation."""
    response = api(responder).post(f"/api/mitigations/999999/{step}/", {"confirm": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == Perm.EXECUTE_MITIGATION.refusal


def test_mitigations_api_refuses_a_viewer_a_preview_declaratively(api, viewer):
    response = api(viewer).patch("/api/mitigations/999999/", {"params": {}}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == Perm.PREVIEW_MITIGATION.refusal
