from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kiemdich.people"
    label = "people"

    def ready(self) -> None:
        # Models are not importable before ready(): these imports wait for it.
        from kiemdich.accounts.services import summarise_accounts_with
        from kiemdich.accounts.signals import account_created
        from kiemdich.core import audit, metrics
        from kiemdich.people import keys
        from kiemdich.people.actors import describe_actor, people_facet
        from kiemdich.people.receivers import make_self_person

        metrics.read_state_with(keys.key_figures)
        audit.describe_actors_with(describe_actor)
        summarise_accounts_with(people_facet)
        account_created.connect(make_self_person, dispatch_uid="people.make_self_person")
