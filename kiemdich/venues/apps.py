from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "kiemdich.venues"
    label = "venues"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from kiemdich.venues.models import Device, Venue

        # Readers (by token) and venues (by poster code) are cached on the scan hot paths: a
        # revoked device, a rotated code or a closed venue is refused at once in this process
        # (others wait out the short TTL).
        for model in (Device, Venue):
            post_save.connect(_forget_cached, sender=model,
                              dispatch_uid=f"venues_forget_cached_{model.__name__}")
            post_delete.connect(_forget_cached, sender=model,
                                dispatch_uid=f"venues_forget_cached_{model.__name__}_d")


def _forget_cached(sender, instance, **kwargs) -> None:
    from kiemdich.venues.devices import forget_devices
    from kiemdich.venues.services import forget_venue_codes

    forget_devices()
    forget_venue_codes()
