"""Payment request numbers per organization, given by the database on insert, and the
organization's payments version (the cached totals' key) on the same row."""

import django.db.models.deletion
from django.db import migrations, models

NUMBER_TRIGGER = """
CREATE FUNCTION payments_request_number() RETURNS trigger AS $$
BEGIN
    IF NEW.number = 0 THEN
        INSERT INTO payments_paymentcounters AS n (organization_id, last_number)
        VALUES (NEW.organization_id, 1)
        ON CONFLICT (organization_id) DO UPDATE SET last_number = n.last_number + 1
        RETURNING n.last_number INTO NEW.number;
    ELSE
        INSERT INTO payments_paymentcounters AS n (organization_id, last_number)
        VALUES (NEW.organization_id, NEW.number)
        ON CONFLICT (organization_id)
        DO UPDATE SET last_number = GREATEST(n.last_number, EXCLUDED.last_number);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_request_number BEFORE INSERT ON payments_paymentrequest
FOR EACH ROW EXECUTE FUNCTION payments_request_number();
"""

DROP_TRIGGER = """
DROP TRIGGER payments_request_number ON payments_paymentrequest;
DROP FUNCTION payments_request_number();
"""

# Existing requests keep their order: numbered by creation within their organization.
NUMBER_EXISTING = """
UPDATE payments_paymentrequest AS p SET number = ranked.n
FROM (
    SELECT id, row_number() OVER (PARTITION BY organization_id ORDER BY created_at, id) AS n
    FROM payments_paymentrequest
) AS ranked
WHERE p.id = ranked.id;

INSERT INTO payments_paymentcounters (organization_id, last_number)
SELECT organization_id, max(number) FROM payments_paymentrequest GROUP BY organization_id;

UPDATE tickets_timelineentry AS t
SET data = jsonb_set(t.data, '{number}', to_jsonb('R-' || lpad(p.number::text, 6, '0')))
FROM payments_paymentrequest AS p
WHERE t.data ? 'payment_request_id' AND t.data ? 'number'
  AND (t.data->>'payment_request_id')::bigint = p.id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_webhook_dispatch"),
        ("teams", "0001_initial"),
        ("tickets", "0003_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentCounters",
            fields=[
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="teams.organization",
                    ),
                ),
                ("last_number", models.PositiveIntegerField(db_default=0)),
                ("version", models.PositiveBigIntegerField(db_default=0)),
            ],
        ),
        migrations.AddField(
            model_name="paymentrequest",
            name="number",
            field=models.PositiveIntegerField(db_default=0, editable=False),
        ),
        migrations.RunSQL(NUMBER_EXISTING, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="paymentrequest",
            constraint=models.UniqueConstraint(
                fields=("organization", "number"), name="payment_request_number_unique"
            ),
        ),
        migrations.RunSQL(NUMBER_TRIGGER, DROP_TRIGGER),
    ]
