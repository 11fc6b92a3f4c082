"""What the zones app holds about a person: the officers who opened and ended a zone."""

from __future__ import annotations

from kiemdich.core.personal_data import Holder, register

register(Holder(
    app="zones",
    models={"zones.Zone": "the officers who opened or ended it; the references go with "
                          "their accounts (SET_NULL)"},
))
