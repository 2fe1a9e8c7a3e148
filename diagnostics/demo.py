"""`manage.py demo` adds targets for what runs on this machine, so checks work on a fresh checkout."""

from targets.models import Target
from warroom.env import env_int


def seed_targets(stdout) -> None:
    port = env_int("PORT", 8000, minimum=1)  # what `make run` serves on
    defaults = [
        dict(name="local-postgres", kind=Target.Kind.POSTGRES, url="postgres://postgres@127.0.0.1:5432/postgres",
             description="PostgreSQL on this machine"),
        dict(name="local-redis", kind=Target.Kind.REDIS, url="redis://127.0.0.1:6379/0",
             description="Redis on this machine"),
        dict(name="warroom", kind=Target.Kind.HTTP, url=f"http://127.0.0.1:{port}/healthz",
             description="Warroom's own health endpoint"),
    ]
    if cluster := _cluster():
        defaults.append(cluster)
    created = [Target.objects.get_or_create(name=d["name"], defaults=d)[1] for d in defaults]
    if any(created):
        stdout.write(f"Created {sum(created)} diagnostic targets: {', '.join(d['name'] for d in defaults)}.")


def _cluster() -> dict | None:
    """The cluster kubectl would talk to, if any. The kubeconfig is left blank so that runs find it the same way."""
    import yaml
    from kubernetes.config import ConfigException

    from targets.kubernetes.client import find_kubeconfig

    try:
        found = find_kubeconfig()
    except (ConfigException, OSError, ValueError, yaml.YAMLError):  # none, or one kubectl could not read
        return None
    return dict(name="kubernetes", kind=Target.Kind.KUBERNETES, namespace=found.namespace,
                deployment="bharatcart-api",
                description=f"As kubectl: {', '.join(found.files)}, context {found.context or '(none)'}"[:200])
