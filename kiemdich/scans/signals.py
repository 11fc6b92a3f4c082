"""Signals other apps listen to, so scans need not import them."""

from django.dispatch import Signal

# Sent when visitors check themselves in at a poster ("in"), inside the check-in's
# transaction, with `venue`, `account_id` and `location` ((latitude, longitude) the phone
# gave, or None). Privacy checks it for its abuse flags once it commits.
checked_in = Signal()
