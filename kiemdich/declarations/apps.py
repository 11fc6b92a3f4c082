from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "kiemdich.declarations"
    label = "declarations"
