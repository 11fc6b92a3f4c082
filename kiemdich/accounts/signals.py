"""Signals other apps listen to, so accounts need not import them."""

from django.dispatch import Signal

# Sent once, when an account is made at its first login (people makes the person "self").
account_created = Signal()
