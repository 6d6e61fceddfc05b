"""Organizations that have collected a payment already have their currency locked."""

from django.db import migrations
from django.db.models import Min


def lock(apps, schema_editor):
    PaymentRequest = apps.get_model("payments", "PaymentRequest")
    Organization = apps.get_model("teams", "Organization")
    firsts = (
        PaymentRequest.objects.filter(paid_at__isnull=False)
        .values("organization_id")
        .annotate(first=Min("paid_at"))
    )
    for row in firsts:
        Organization.objects.filter(
            pk=row["organization_id"], currency_locked_at__isnull=True
        ).update(currency_locked_at=row["first"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0012_paid_time_indexes"),
        ("teams", "0004_currency_lock"),
    ]

    operations = [migrations.RunPython(lock, migrations.RunPython.noop)]
