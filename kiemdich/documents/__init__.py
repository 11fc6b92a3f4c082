"""Printable documents (venue posters, personal QR cards) as pure functions.

Nothing here touches the database: callers pass plain dataclasses and get PDF/PNG bytes back.
"""
