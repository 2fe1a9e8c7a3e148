"""Running a check reads production systems: responders and commanders may; viewers see the results."""

RUN_CHECK = "diagnostics.run_check"


def can_run_checks(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(RUN_CHECK))
