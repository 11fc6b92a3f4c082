"""Signals other apps listen to, so people need not import them."""

from django.dispatch import Signal

# Sent by the ID-number key rotation inside each batch's transaction, with `renamed`
# ({old digest: new digest}) when a person's ID digest changed: an app that stores digests of
# its own (reports' rosters) renames them in the same transaction.
id_digests_renamed = Signal()
