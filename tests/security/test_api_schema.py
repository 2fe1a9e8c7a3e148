"""Every API operation, fuzzed from its own OpenAPI schema (schemathesis): no 5xx, and every answer is documented.

The schema is the one /api/schema/ serves to a commander. For each operation schemathesis generates valid
(positive) and invalid (negative) inputs from it, and checks that no answer is a 5xx, that its status code is one
the schema lists, and that its body and content type are that code's. Path ids are half the time a real incident,
entry, post-mortem or action item of the fixture, so the happy paths are reached, not only 404s.

Bounded: a few examples an operation and mode, derandomized (the same inputs every run), no deadline. Requests
run in-process (WSGI) inside the test's transaction, so whatever they write is rolled back; what a worker would
do is queued on commit, which never comes.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents import services as incidents
from postmortems import services as postmortems

# Per operation and mode (~50 operations × 2 modes, ~25 s); WARROOM_FUZZ_EXAMPLES=100 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = sorted((path, method) for path, item in SchemaGenerator().get_schema(public=True)["paths"].items()
                    for method in item)
_served: dict = {}  # /api/schema/, fetched once a session


@pytest.fixture
def wsgi(settings):
    """As Django's test client does: a request's end must not close the connection holding the test's transaction."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]  # the WSGI client's host, the test client's
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(commander, make_incident):
    """Rows for path ids to hit: an open incident with a note, a resolved one with a post-mortem and an item."""
    open_incident = make_incident(title="Checkout API timing out")
    note = incidents.timeline_note(incident=open_incident, by=commander, text="DB connections at 96%")
    resolved = make_incident(title="Search down", status="resolved")
    postmortem, _ = postmortems.postmortem_start(incident=resolved, by=commander)
    item = postmortems.action_item_add(postmortem=postmortem, by=commander, description="Alert on pool use",
                                       owner=commander)
    return {"incidents": [open_incident.pk, resolved.pk], "entry_pk": [note.pk], "postmortems": [postmortem.pk],
            "action-items": [item.pk], "name": ["SEV1", "SEV4"], "slug": ["api-timeout", "db-pool-exhausted"]}


@pytest.fixture
def commander_auth(commander):
    """The commander's token; the schema is fetched with it here, before `wsgi`: the test client puts back the
    close_old_connections that `wsgi` takes away, and the next in-process request would close the connection."""
    auth = {"Authorization": f"Token {Token.objects.create(user=commander).key}"}
    if not _served:
        response = Client().get("/api/schema/?format=json", headers=auth)
        assert response.status_code == 200, response.content
        _served.update(response.json())
    return auth


@pytest.fixture
def api_schema(commander_auth, wsgi, real_ids):
    """The served schema, with the commander's token on every request and some real ids in the paths."""
    auth = commander_auth
    loaded = schemathesis.openapi.from_dict(_served)
    loaded.app = wsgi

    @loaded.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        real = dict(path_parameters)
        collection = context.operation.path.strip("/").split("/")[1]
        for name, value in path_parameters.items():
            choices = real_ids.get(collection if name == "id" else name)
            if choices:
                real[name] = choices[len(str(value)) % len(choices)]
        return st.sampled_from([path_parameters, real])

    return loaded, auth


def test_the_schema_lists_every_operation_of_the_api(api_schema):
    loaded, _ = api_schema
    served = sorted((path, method) for path, item in loaded.raw_schema["paths"].items() for method in item)
    assert served == OPERATIONS and len(served) >= 50


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_answers_as_documented_and_never_5xx(api_schema, path, method):
    loaded, auth = api_schema
    operation = loaded[path][method.upper()]
    takes_input = {"parameters", "requestBody"} & set(loaded.raw_schema["paths"][path][method])
    for mode in [GenerationMode.POSITIVE, GenerationMode.NEGATIVE][: 2 if takes_input else 1]:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=auth, checks=CHECKS)

        run()
