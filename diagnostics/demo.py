"""`manage.py demo` adds targets for what runs on this machine, so checks work on a fresh checkout."""

from pathlib import Path

from diagnostics.models import Target


def seed_targets(stdout) -> None:
    defaults = [
        dict(name="local-postgres", kind=Target.Kind.POSTGRES, url="postgres://postgres@127.0.0.1:5432/postgres",
             description="PostgreSQL on this machine"),
        dict(name="local-redis", kind=Target.Kind.REDIS, url="redis://127.0.0.1:6379/0",
             description="Redis on this machine"),
        dict(name="warroom", kind=Target.Kind.HTTP, url="http://127.0.0.1:8000/healthz",
             description="Warroom's own health endpoint"),
    ]
    kubeconfig = Path.home() / ".kube" / "config"
    if kubeconfig.exists():
        defaults.append(dict(name="kubernetes", kind=Target.Kind.KUBERNETES, kubeconfig=str(kubeconfig),
                             namespace="default", deployment="bharatcart-api",
                             description="From ~/.kube/config (current context)"))
    created = [Target.objects.get_or_create(name=d["name"], defaults=d)[1] for d in defaults]
    if any(created):
        stdout.write(f"Created {sum(created)} diagnostic targets: {', '.join(d['name'] for d in defaults)}.")
