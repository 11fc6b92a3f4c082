from django.apps import AppConfig


class ZonesConfig(AppConfig):
    name = "kiemdich.zones"
    label = "zones"
