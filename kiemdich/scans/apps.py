from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "kiemdich.scans"
    label = "scans"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from kiemdich.venues.models import Venue, VenueStaff

        # The scan hot path caches venues and their staff phones; a change here is seen at
        # once in this process (others wait out the short TTL).
        post_save.connect(_forget_venue, sender=Venue, dispatch_uid="scans_forget_venue")
        post_delete.connect(_forget_venue, sender=Venue, dispatch_uid="scans_forget_venue_d")
        post_save.connect(_forget_staff, sender=VenueStaff, dispatch_uid="scans_forget_staff")
        post_delete.connect(_forget_staff, sender=VenueStaff,
                            dispatch_uid="scans_forget_staff_d")


def _forget_venue(sender, instance, **kwargs) -> None:
    from kiemdich.scans.access import forget

    forget(instance.pk)


def _forget_staff(sender, instance, **kwargs) -> None:
    from kiemdich.scans.access import forget

    forget(instance.venue_id)
