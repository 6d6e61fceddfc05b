"""The intake floor: bare Django, no app, no middleware; one view, one INSERT."""

import os

import environ

env = environ.Env()
DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="bench-baseline-only")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.baseline.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 60  # as the app's production settings
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
USE_TZ = True
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
    }
]
TIME_ZONE = "America/Chicago"
