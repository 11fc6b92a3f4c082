from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "kiemdich.scans"
    label = "scans"
