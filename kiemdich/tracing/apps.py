from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "kiemdich.tracing"
    label = "tracing"

    def ready(self) -> None:
        from kiemdich.accounts.sms import on_delivered
        from kiemdich.tracing.notices import sms_delivered

        on_delivered("notice", sms_delivered)
