"""Local development and `make demo`: DEBUG on, console e-mail and SMS, embedded PostgreSQL."""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

if not os.environ.get("DATABASE_URL"):
    from expertconnect import embedded_db

    DATABASES = {"default": embedded_db.database_settings()}
