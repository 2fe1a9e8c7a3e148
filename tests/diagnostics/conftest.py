"""Targets on this machine's real PostgreSQL and Redis, and ones that are down."""

import socket

import pytest

from targets.models import Target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pg_target(db):
    return Target.objects.create(name="local-postgres", kind="postgres", timeout_seconds=3,
                                 url="postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def redis_target(db):
    return Target.objects.create(name="local-redis", kind="redis", url="redis://127.0.0.1:6379/14", timeout_seconds=3)


@pytest.fixture
def down_pg_target(db):
    """Nothing listens on this port: connection refused."""
    return Target.objects.create(name="down-postgres", kind="postgres", timeout_seconds=2,
                                 url=f"postgres://postgres@127.0.0.1:{free_port()}/postgres")
