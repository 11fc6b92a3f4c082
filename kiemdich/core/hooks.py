"""Middleware made of hooks: what a middleware does to a request and to its answer, as two
methods that the middleware chain and the scan lane (kiemdich.scans.lane, which answers a
reader's scans without the chain) both call — each header and behaviour defined once."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class HookMiddleware:
    """Django's `process_request` / `process_response` protocol (as MiddlewareMixin runs it:
    an answer from `process_request` skips the inner layers, never its own
    `process_response`). A subclass overrides the hooks, never `__call__`: whatever it did
    there, the lane would not do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.process_request(request) or self.get_response(request)
        return self.process_response(request, response)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response
