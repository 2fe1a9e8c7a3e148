from celery import shared_task

from status import services
from warroom.outbox import enqueue


@shared_task(acks_late=True, soft_time_limit=45, time_limit=60, ignore_result=True)
def read_provider(provider_id: int) -> None:
    services.provider_read(provider_id=provider_id)


@shared_task(ignore_result=True)
def read_providers() -> None:
    """Beat, every minute: one task per provider, so a slow one never holds up the others."""
    for provider_id in services.providers_read_all():
        enqueue(read_provider, [provider_id])
