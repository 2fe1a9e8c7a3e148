"""manage.py healthcheck: the triage checks from a terminal, exit 1 on critical or error."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_healthy_targets_print_tables_and_exit_zero(pg_target, redis_target, capsys):
    call_command("healthcheck")
    out = capsys.readouterr().out
    assert "postgres.connections on local-postgres" in out and "redis.memory on local-redis" in out


def test_a_down_target_exits_one(pg_target, down_pg_target, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("healthcheck", "--target", "down-postgres")
    assert exited.value.code == 1
    assert "[ERROR] postgres.connections on down-postgres" in capsys.readouterr().out


def test_unknown_target_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No enabled target called 'nope'"):
        call_command("healthcheck", "--target", "nope")
