"""What the reports app holds about a person: organisations' rosters (name, phone, ID
digest), inspections (the inspector, a subject's name), the distinct-declarant counts by
person id, report subscriptions by e-mail."""

from __future__ import annotations

from kiemdich.core.personal_data import Holder, register

register(Holder(
    app="reports",
    models={
        "reports.Organisation": "who registered an organisation; the reference goes with "
                                "the account",
        "reports.RosterMember": "a roster's people (name, phone, ID digest): the "
                                "organisation's list, removed with it or by re-import",
        "reports.Inspection": "the inspector and the subject's name: an official record, kept",
        "reports.ReportSubscription": "e-mail addresses the officer entered; removed by them",
        "reports.DeclarantDay": "a person id per day declared, for distinct counts; no name, "
                                "replaced when the rollups are rebuilt",
    },
))
