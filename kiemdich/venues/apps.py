from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.db.models import Model

from kiemdich.core import invalidation

if TYPE_CHECKING:
    from kiemdich.venues.models import Device, Venue, VenueStaff


class VenuesConfig(AppConfig):
    name = "kiemdich.venues"
    label = "venues"

    def ready(self) -> None:
        # Models are importable only once the apps are ready: these imports wait for it.
        from django.db.models.signals import post_delete, post_save

        from kiemdich.accounts.services import summarise_accounts_with
        from kiemdich.venues.access import venue_facet
        from kiemdich.venues.models import Device, Venue, VenueStaff

        summarise_accounts_with(venue_facet)

        # Venues with their staff, readers by token and venues by poster code are cached on
        # the scan hot paths: a change of any of them is seen at once by every server
        # process, and closes the live streams of viewers who lost access
        # (kiemdich.core.invalidation).
        for model in (Device, Venue, VenueStaff):
            post_save.connect(_access_changed, sender=model,
                              dispatch_uid=f"venues_access_changed_{model.__name__}")
            post_delete.connect(_access_changed, sender=model,
                                dispatch_uid=f"venues_access_changed_{model.__name__}_d")


def _access_changed(sender: type[Model], instance: Device | Venue | VenueStaff,
                    **kwargs: object) -> None:
    # This module is read before the models are loaded (as ready() waits for them).
    from kiemdich.venues.models import Venue

    invalidation.changed(instance.pk if isinstance(instance, Venue) else instance.venue_id)
