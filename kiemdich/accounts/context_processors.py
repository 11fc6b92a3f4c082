from django.http import HttpRequest

from kiemdich.accounts.scopes import scope_of


def roles(request: HttpRequest) -> dict:
    """Lazily expose the viewer's scope to templates (menus per role)."""
    return {"viewer_scope": (lambda: scope_of(request)) if hasattr(request, "user") else None}
