"""gunicorn's settings for the web process, read from the working directory (the Docker
image's and bench/'s). Workers are set on the command line (or WEB_CONCURRENCY).

Sync workers (the fastest here: bench/RESULTS.md). A sync worker busy with one request for
more than ``timeout`` seconds is killed by the master, a streamed answer with it: the CSV
export of the Payments tab streams about 20,000 lines a second, so 120 s covers exports of
two million payments; larger ones belong in a background job."""

timeout = 120
