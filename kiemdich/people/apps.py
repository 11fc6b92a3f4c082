from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kiemdich.people"
    label = "people"

    def ready(self) -> None:
        from kiemdich.accounts.signals import account_created
        from kiemdich.core import metrics
        from kiemdich.people import keys
        from kiemdich.people.receivers import make_self_person

        metrics.read_state_with(keys.key_figures)
        account_created.connect(make_self_person, dispatch_uid="people.make_self_person")
