"""Celery tasks: thin wrappers that call a service."""

from celery import shared_task

from incidents import services


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def record_sla_breaches() -> int:
    """Run by beat every 30 s; safe to run twice (each breach is claimed by a conditional update)."""
    return services.sla_breaches_record()
