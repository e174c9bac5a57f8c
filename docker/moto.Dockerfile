# syntax=docker/dockerfile:1
# moto's server for the local stack's cost panel (Cost Explorer and EC2 spot prices answered
# locally), built FROM the same BASE_IMAGE as the portal. The moto version is pyproject.toml's
# dev pin (moto[server]).
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
COPY --from=requirements /src/moto.txt ./
RUN --mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --only-binary=:all: -r moto.txt \
    && /opt/venv/bin/pip uninstall --yes pip

FROM ${BASE_IMAGE} AS runtime
ARG REVISION=unknown
LABEL org.opencontainers.image.title="infra-fleet local moto" \
      org.opencontainers.image.description="moto's AWS API server for the local stack's cost panel" \
      org.opencontainers.image.revision="${REVISION}"
RUN groupadd --gid 10001 moto \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin moto
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
USER 10001:10001
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/moto-api/', timeout=2).status == 200 else 1)"]
CMD ["moto_server", "--host", "0.0.0.0", "--port", "5000"]
