from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "kiemdich.venues"
    label = "venues"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from kiemdich.venues.models import Device, Venue

        # Readers are cached by token on the scan hot path: a revoked device or a closed
        # venue is refused at once in this process (others wait out the short TTL).
        for model in (Device, Venue):
            post_save.connect(_forget_devices, sender=model,
                              dispatch_uid=f"venues_forget_devices_{model.__name__}")
            post_delete.connect(_forget_devices, sender=model,
                                dispatch_uid=f"venues_forget_devices_{model.__name__}_d")


def _forget_devices(sender, instance, **kwargs) -> None:
    from kiemdich.venues.devices import forget_devices

    forget_devices()
