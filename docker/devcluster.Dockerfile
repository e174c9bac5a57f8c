# syntax=docker/dockerfile:1
# devcluster, the Kubernetes API emulator with its Flagger/HPA simulation, for the local stack
# (docker-compose.yml). Not a production image: the cluster it emulates is a demo.
# Build from the repository root:  docker build -f docker/devcluster.Dockerfile -t devcluster .
# The CRD directory is mounted at /crds (DEVCLUSTER_CRDS_DIR); without it devcluster still serves
# the kinds infra-fleet uses, unvalidated.
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
# pyproject.toml's [project] dependencies (the same COPY and RUN as docker/portal.Dockerfile's,
# so the two builds share those layers), then the devcluster extra (the Kubernetes schemas; only
# the 1.32 ones devcluster reads are kept: 8 MB instead of 108 MB and 17,000 files).
COPY --from=requirements /src/portal.txt ./
RUN --mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --only-binary=:all: -r portal.txt
COPY --from=requirements /src/devcluster.txt ./
RUN --mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked \
    /opt/venv/bin/pip install --only-binary=:all: -r portal.txt -r devcluster.txt \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && find /opt/venv/lib/python3.11/site-packages/kubernetes_validate/kubernetes-json-schema \
       -mindepth 1 -maxdepth 1 ! -name 'v1.32.0-*' -exec rm -rf {} +
COPY devcluster/ /app/devcluster/
RUN /opt/venv/bin/python -m compileall -q /app/devcluster

FROM ${BASE_IMAGE} AS runtime
ARG REVISION=unknown
ARG VERSION=dev
LABEL org.opencontainers.image.title="infra-fleet devcluster" \
      org.opencontainers.image.description="Kubernetes API emulator with a Flagger and HPA simulation (demo only)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
RUN groupadd --gid 10001 devcluster \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin devcluster
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TMPDIR=/tmp \
    HOME=/tmp \
    DEVCLUSTER_CRDS_DIR=/crds
WORKDIR /app
USER 10001:10001
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8001/version', timeout=2).status == 200 else 1)"]
CMD ["python", "-m", "devcluster", "serve", "--host", "0.0.0.0", "--port", "8001", "--scenario", "demo"]
