import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
application = get_asgi_application()

# A server process: its caches follow the changes of access published by the others.
from kiemdich.core import invalidation  # noqa: E402

invalidation.enable()
