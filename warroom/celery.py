"""The Celery app: `celery -A warroom worker` and `celery -A warroom beat`."""

import os

from celery import Celery
from celery.signals import worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warroom.settings")

app = Celery("warroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _preload_kubernetes_client(**kwargs):
    """The kubernetes client loads its API modules lazily (~1 s); load them once, before the pool forks."""
    from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi  # noqa: F401


def worker_label(request) -> str:
    """Who runs a task ('celery@host, process 1234'), kept on the row so that "the worker was lost" can say which."""
    return f"{request.hostname or 'in-process'}, process {os.getpid()}"


@worker_ready.connect
def _start_outbox_relay(**kwargs):
    """Each worker publishes what the web processes could not while the broker was down (warroom/outbox.py)."""
    from django.conf import settings

    from warroom.outbox import start_relay

    if settings.OUTBOX_RELAY_SECONDS:  # 0: this worker leaves relaying to the others
        start_relay()
