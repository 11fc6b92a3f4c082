"""Whether people declared today, which people's pages and API show beside each person.

Declarations, the app above people, knows it and gives its answer at start-up
(`declared_today_with`, in its AppConfig.ready()): people never imports the app above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured

# {person id: (declared today, the latest of today's declarations has symptoms)}
DayState = dict[int, tuple[bool, bool]]
Reader = Callable[[list[int]], DayState]
_readers: list[Reader] = []


def declared_today_with(reader: Reader) -> None:
    """Declarations' answer to "who of these declared today", given at start-up."""
    _readers[:] = [reader]


def declared_today(person_ids: Iterable[int]) -> DayState:
    """{person id: (declared today, the latest of today's declarations has symptoms)}."""
    if not _readers:
        # Saying "not declared" for everyone would be a wrong answer, not a missing one.
        raise ImproperlyConfigured("kiemdich.declarations is not installed")
    return _readers[0](list(person_ids))
