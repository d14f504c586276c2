# The Bangfu image: web (gunicorn), Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production

# Gettext for compilemessages; Pango (WeasyPrint renders the PDF reports with
# it) and CJK fonts so those PDFs show Chinese text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext fonts-noto-cjk \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --python python3.11

COPY . .
# collectstatic needs settings but no secrets: a throwaway key for this step only.
RUN DJANGO_SECRET_KEY=build-only-key-not-used-at-runtime-0123456789abcdefghij \
    BANGFU_ID_HASH_KEY=build-only-key-not-used-at-runtime-0123 \
    BANGFU_ACCOUNT_KEYS=YnVpbGQtb25seS1hY2NvdW50LWtleS1ub3QtdXNlZCE= \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --no-input

RUN useradd --system --uid 10001 bangfu && mkdir -p /app/var && chown bangfu /app/var
USER bangfu
EXPOSE 8000
# config/gunicorn.py: the bind address, the workers, and an access log without query strings.
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py"]
