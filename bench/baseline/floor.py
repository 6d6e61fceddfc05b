"""The Payments tab's floor: the app's own keyset query for one page of 50 rows (its SQL and
parameters, written by bench/payments_tab.py), run with a cursor and rendered in a plain
Django template table; no middleware, login, permissions, filters or totals."""

import json
import os

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

_QUERIES: dict = {}


def queries() -> dict:
    if not _QUERIES:
        with open(os.environ["BENCH_FLOOR_QUERIES"]) as f:
            _QUERIES.update(json.load(f))
    return _QUERIES


@require_safe
def payments(request: HttpRequest) -> HttpResponse:
    sql, params = queries()[request.GET.get("page", "first")]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return render(request, "floor.html", {"rows": rows[:50]})
