# syntax=docker/dockerfile:1
# The portal image: `portal serve` on port 8000 (migrations: `python -m portal.cli db upgrade`).
# Build from the repository root:  docker build -f docker/portal.Dockerfile -t portal .
# BASE_IMAGE is any Debian bookworm image with python3 3.11 (`make compose-test` builds one with
# debootstrap where no registry is reachable). The runtime stage holds the virtual environment
# without pip or setuptools, and no compiler: every dependency installs from a wheel.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# The requirement lists, read from pyproject.toml in a stage of their own (the same stage in the
# portal, devcluster and moto Dockerfiles, so it is built once): the install layers below copy
# only the list they install, and a layer is reused while that list's content is unchanged. A
# change to pyproject.toml that leaves the runtime dependencies as they were (tool settings, dev
# dependencies, the version) rebuilds no dependency layer.
FROM ${BASE_IMAGE} AS requirements
WORKDIR /src
COPY pyproject.toml scripts/image_requirements.py ./
RUN python3 image_requirements.py pyproject.toml > portal.txt \
    && python3 image_requirements.py pyproject.toml --no-project --extra devcluster > devcluster.txt \
    && python3 image_requirements.py pyproject.toml --only moto > moto.txt

FROM ${BASE_IMAGE} AS build
# pip's download cache is a build cache mount shared by the images (never in a layer).
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The runtime dependencies: pyproject.toml's [project] dependencies. (The same COPY and RUN as
# docker/devcluster.Dockerfile's first ones: the two builds share these layers.)
COPY --from=requirements /src/portal.txt ./
RUN --mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --only-binary=:all: -r portal.txt
RUN /opt/venv/bin/pip uninstall --yes pip setuptools
COPY alembic.ini /app/
COPY alembic/ /app/alembic/
COPY portal/ /app/portal/
COPY static/ /app/static/
COPY templates/ /app/templates/
RUN /opt/venv/bin/python -m compileall -q /app/portal /app/alembic

FROM ${BASE_IMAGE} AS runtime
ARG REVISION=unknown
ARG VERSION=dev
LABEL org.opencontainers.image.title="infra-fleet portal" \
      org.opencontainers.image.description="Control-plane portal for Flagger canaries, HPAs, AWS costs and DORA stats" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
RUN groupadd --gid 10001 portal \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin portal
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TMPDIR=/tmp \
    HOME=/tmp \
    PORTAL_HOST=0.0.0.0 \
    PORTAL_PORT=8000
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["python", "-m", "portal.cli", "serve"]
