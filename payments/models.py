"""Connected accounts, payment requests, payments, refunds and payouts (with Stripe Connect)."""
