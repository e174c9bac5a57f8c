# syntax=docker/dockerfile:1
# moto's server for the local stack's cost panel (Cost Explorer and EC2 spot prices answered
# locally), built FROM the same BASE_IMAGE as the portal. The moto version is pyproject.toml's
# dev pin (moto[server]).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# pip's download cache is a build cache mount shared by the images (never in a layer).
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml scripts/image_requirements.py ./
RUN --mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked \
    python3 image_requirements.py pyproject.toml --only moto > requirements.txt \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --only-binary=:all: -r requirements.txt \
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
