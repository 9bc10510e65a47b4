FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GATEWAY_VAR_DIR=/var/lib/gateway
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY suppliers suppliers
COPY procurement procurement
COPY edi edi
COPY api api
COPY templates templates
COPY manage.py ./
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/gateway gateway \
    && mkdir -p /var/lib/gateway && chown gateway /var/lib/gateway
RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput
USER gateway
EXPOSE 8000
CMD ["gunicorn", "gateway.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
