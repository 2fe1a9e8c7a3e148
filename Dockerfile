# Production-like image for web, worker and beat (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .

COPY . .
RUN useradd --system --home /app warroom \
    && DEBUG=false SECRET_KEY=collectstatic-only STATIC_ROOT=/app/staticfiles python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R warroom /app/var
USER warroom
ENV STATIC_ROOT=/app/staticfiles WARROOM_VAR_DIR=/app/var
EXPOSE 8000
CMD ["uvicorn", "warroom.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "3", "--no-access-log", "--timeout-graceful-shutdown", "5"]
