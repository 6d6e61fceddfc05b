"""Store the raw body with one INSERT into a table created by bench/run.py (raw SQL)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST


@require_POST
def store(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_baseline_event (body) VALUES (%s)", [request.body.decode()]
        )
    return HttpResponse('{"received": true}', content_type="application/json")
