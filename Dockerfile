# Production image for IPS Fidelity.
# Same steps as `make run`: `npm ci && npm run build` for the front-end assets, then
# `fidelity start` (migrate, load demo data only outside production, serve).
# Build:  docker build -t ips-fidelity .
# Run:    docker run -p 8000:8000 -v fidelity-data:/data \
#           -e FIDELITY_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))') \
#           ips-fidelity
# /data must be writable by uid 10001: a named volume is; for a bind mount, chown it first.
# Behind a proxy on another host, set FORWARDED_ALLOW_IPS to the proxy's address so the
# forwarded scheme and client address are trusted.

FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts/ scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FIDELITY_ENVIRONMENT=production \
    FIDELITY_DATABASE_URL=sqlite:////data/fidelity.db \
    FIDELITY_HOST=0.0.0.0 \
    FIDELITY_PORT=8000 \
    FIDELITY_WORKERS=1
# One worker on the embedded SQLite file (docs/performance.md: two took seconds per save
# under load). With FIDELITY_DATABASE_URL pointing at PostgreSQL, raise FIDELITY_WORKERS.

# Pango (with its fonts) lays out the PDF reports (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fidelity \
    && mkdir -p /data && chown fidelity:fidelity /data
WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py && pip install . && pip uninstall -y ips-fidelity

# The app runs from /app (templates, scales and migrations live beside the package).
COPY alembic.ini ./
COPY app/ app/
COPY migrations/ migrations/
COPY scales/ scales/
COPY templates/ templates/
COPY --from=assets /build/app/static/vendor/ app/static/vendor/
RUN pip install --no-deps -e .
# The interface strings, compiled as `make messages` does (pybabel came with the dependencies).
RUN pybabel -q compile -d app/locale -D messages

USER fidelity
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('FIDELITY_PORT', '8000')}/healthz\", timeout=4)"]
CMD ["fidelity", "start"]
