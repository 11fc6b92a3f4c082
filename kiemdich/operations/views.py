"""The operations page: the figures Prometheus would scrape, for a site without it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kiemdich.accounts.scopes import scope_of
from kiemdich.core import metrics


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    if not scope_of(request).is_admin:
        raise PermissionDenied
    return render(request, "operations/figures.html", {"figures": metrics.figures()})
