# The production image: gunicorn + whitenoise serving Django; the same image runs the Celery
# worker and beat (see docker-compose.yml). Build: `docker build -t expertconnect .`

# --- Stage 1: front-end packages (bootstrap, bootstrap-icons, htmx) from package-lock.json ----
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- Stage 2: the application -----------------------------------------------------------------
FROM python:3.11-slim AS app

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=expertconnect.settings.production

RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.9

# GNU gettext compiles the translations (locale/*/LC_MESSAGES/django.po) below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (cached until the lock changes); the dev group (test tools) is left out.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY --from=assets /build/node_modules ./node_modules
COPY . .

# Production settings refuse to load without these; dummy values exist for this step only and
# never reach the image's environment. collectstatic touches no database.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost:5432/build \
    python manage.py collectstatic --noinput

# The translations, checked as `make messages` checks them: placeholders intact.
RUN for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po" || exit 1; done

# Code and static files stay owned by root: the process can read them, not change them.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app app
USER app

EXPOSE 8000
CMD ["gunicorn", "expertconnect.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
