import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
application = get_wsgi_application()

# A server process: its caches follow the changes of access published by the others.
from kiemdich.core import invalidation  # noqa: E402

invalidation.enable()

# Import every view and API schema now rather than on the first request: granian puts a worker
# in service once this module is loaded, so a worker that a reload or a crash brings in answers
# its first requests as fast as the others instead of holding them for a second or more.
get_resolver().resolve("/api/v1/health")

# A dedicated reader's scans and a visitor's poster check-ins on their short path
# (kiemdich.scans.lane), everything else as is.
from kiemdich.scans.lane import ScanLane  # noqa: E402

application = ScanLane(application)  # type: ignore[assignment]
