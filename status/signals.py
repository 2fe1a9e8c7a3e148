"""Components are edited in the admin: each change clears the public page's cache once it commits."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from status import selectors
from status.models import Component


@receiver([post_save, post_delete], sender=Component)
def component_changed(sender, **kwargs) -> None:
    transaction.on_commit(selectors.public_forget)
