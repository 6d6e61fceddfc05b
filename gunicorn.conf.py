"""gunicorn's settings for the web process, read from the working directory (the Docker
image's and bench/'s). Workers are set on the command line (or WEB_CONCURRENCY).

Threaded workers: a long streamed answer (a CSV export of a year of payments) keeps one
thread busy while the worker's other threads go on serving, and the worker keeps reporting
alive to the master (a sync worker busy for more than ``timeout`` seconds is killed, and a
big export with it)."""

import os

worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
