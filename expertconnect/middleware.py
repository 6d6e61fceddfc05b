"""The product's own error pages for people who are not signed in, even in the demo.

With DEBUG on (`make demo`), Django answers a 404 or 500 with its debug page: the URL list,
settings and tracebacks. A customer who mistypes their link, or anyone else not signed in,
sees the product's 404 and 500 pages instead; staff signed in to the demo keep the debug
pages. Production (DEBUG off) shows the product's pages to everyone anyway. The error itself
is logged by Django as always."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults


class PublicErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or response.status_code not in (404, 500):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if response.status_code == 404:
            return defaults.page_not_found(request, Http404())
        return defaults.server_error(request)
