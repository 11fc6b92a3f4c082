from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "kiemdich.venues"
    label = "venues"
