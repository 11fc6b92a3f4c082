"""Which roles may do what: every rule of the role policy, named once.

Each name is a tuple of roles for `Scope.has(*policy.X)` or `Scope.reaches(*policy.X)`
(an admin passes every `has`). A page, an endpoint, a service and a template tag that guard
the same thing name the same rule here, never a tuple of role strings of their own.
"""

from __future__ import annotations

from kiemdich.accounts.models import Role

# The audit trail, and the work other authority accounts started (their long tasks).
OVERSIGHT = (Role.ADMIN, Role.AUDITOR)
# People shown in full (unmasked, every view audited): health officers and admins.
SEE_PEOPLE_IN_FULL = (Role.HEALTH_OFFICER, Role.ADMIN)
# The abuse flags raised by the scan checks.
ABUSE_FLAGS = (Role.OFFICER, Role.HEALTH_OFFICER, Role.INSPECTOR)
# Symptom alerts (answering them) and searching people by phone or ID number.
ALERTS = (Role.HEALTH_OFFICER,)
PERSON_SEARCH = (Role.HEALTH_OFFICER,)
# F0 cases, contacts, notices and pauses.
TRACING = (Role.HEALTH_OFFICER,)
# Quarantine, lockdown and green zones.
ZONES = (Role.OFFICER, Role.HEALTH_OFFICER)
# Marking a venue special (hospitals, checkpoints: people seen in full there).
SPECIAL_VENUES = (Role.OFFICER, Role.HEALTH_OFFICER)
# The directory of venues in an area.
VENUE_DIRECTORY = (Role.OFFICER, Role.HEALTH_OFFICER, Role.INSPECTOR)
# The statistics, coverage and daily reports.
STATISTICS = (Role.OFFICER, Role.HEALTH_OFFICER, Role.INSPECTOR, Role.ADMIN)
# Recording an inspection, and reading the records.
INSPECTION_RECORD = (Role.INSPECTOR, Role.ADMIN)
INSPECTION_READ = (Role.INSPECTOR, Role.OFFICER, Role.ADMIN)
# Importing venues and people from spreadsheets.
IMPORTS = (Role.OFFICER, Role.ADMIN)
