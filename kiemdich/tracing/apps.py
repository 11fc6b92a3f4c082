from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "kiemdich.tracing"
    label = "tracing"
