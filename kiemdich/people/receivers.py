from kiemdich.accounts.models import User
from kiemdich.people.models import Person


def make_self_person(sender: object, user: User, **kwargs: object) -> None:
    """Every account manages at least one person: its holder, made at first login."""
    Person.objects.get_or_create(account=user, is_self=True, defaults={"phone": user.phone})
