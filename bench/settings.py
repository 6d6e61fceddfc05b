"""The app as production runs it, with the demo gateway and console texts: the benchmarks take
no money and reach no outside service. Never a deployment's settings.

Production settings refuse to start without Stripe and Twilio, so stand-in values are given
to pass that gate, and the gateway is switched to the demo after it."""

import os

for _name, _value in {
    "STRIPE_SECRET_KEY": "sk_test_bench_never_sent_anywhere",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench_platform",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_bench_connect",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "bench-twilio-token-never-used",
    "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
}.items():
    os.environ.setdefault(_name, _value)

from expertconnect.settings.production import *  # noqa: E402, F403

PAYMENT_GATEWAY = "demo"
STRIPE_SECRET_KEY = ""
SMS_BACKEND = os.environ.get("BENCH_SMS_BACKEND", "accounts.sms.ConsoleBackend")
