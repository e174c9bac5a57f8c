# syntax=docker/dockerfile:1
# The load-harness image: the workload Flagger canaries and HPAs act on.
# Build from the repository root:  docker build -f docker/load-harness.Dockerfile -t load-harness .
# Runs as a numeric non-root user and writes nothing outside /tmp (and /dev/shm, which the
# multiprocessing spawn context uses for shared counters), so it works with
# readOnlyRootFilesystem: true when /tmp is an emptyDir.
# BASE_IMAGE is any Debian bookworm image with python3 3.11 (`make compose-test` builds one with
# debootstrap where no registry is reachable). The runtime stage holds the virtual environment
# without pip or setuptools, and no compiler: every dependency installs from a wheel.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# pip's download cache is a build cache mount shared by the images (never in a layer).
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
# Runtime dependencies of load_harness only (a subset of pyproject.toml, the same bounds;
# tests/unit/load_harness/test_lh_dockerfile.py keeps the two in step).
RUN --mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --only-binary=:all: \
      "fastapi>=0.121.1,<0.166" \
      "uvicorn[standard]>=0.30,<0.55" \
      "pydantic>=2.8,<3" \
      "pydantic-settings>=2.4,<3" \
      "prometheus-client>=0.20,<0.27" \
      "structlog>=24.4,<27" \
      "jinja2>=3.1.4,<4" \
      "psutil>=6.0,<8" \
    && /opt/venv/bin/pip uninstall --yes pip setuptools
COPY load_harness/ /app/load_harness/
RUN /opt/venv/bin/python -m compileall -q /app/load_harness

FROM ${BASE_IMAGE} AS runtime
ARG REVISION=unknown
ARG VERSION=dev
LABEL org.opencontainers.image.title="infra-fleet load-harness" \
      org.opencontainers.image.description="The workload Flagger canaries and HPAs act on" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
RUN groupadd --gid 10001 harness \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin harness
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TMPDIR=/tmp \
    HOME=/tmp
WORKDIR /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
CMD ["python", "-m", "load_harness", "serve", "--host", "0.0.0.0", "--port", "8080"]
