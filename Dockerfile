FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8000 \
    GATEWAY_VAR_DIR=/var/lib/gateway GATEWAY_FILE_ROOT=/var/lib/gateway/files
WORKDIR /app
# The whole project (what .dockerignore leaves out aside), so a new app is never left behind.
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --system --home /var/lib/gateway gateway \
    && mkdir -p /var/lib/gateway/files /var/lib/gateway/metrics \
    && chown -R gateway:gateway /var/lib/gateway
# A named volume first mounted on /var/lib/gateway/files (or metrics) takes this directory's owner: gateway.
# Production storage (DJANGO_DEBUG=0) serves hashed names from the manifest collectstatic writes.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
USER gateway
EXPOSE 8000
CMD ["gunicorn", "gateway.wsgi:application", "--workers", "3", "--access-logfile", "-"]
