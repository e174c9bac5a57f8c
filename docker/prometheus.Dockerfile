# syntax=docker/dockerfile:1
# Prometheus from Debian bookworm for the local stack (docker-compose.yml), built FROM the same
# BASE_IMAGE as the portal so it builds where no registry is reachable. Configuration is mounted
# at /etc/prometheus/prometheus.yml (docker/compose/prometheus.yml).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE}
ARG REVISION=unknown
LABEL org.opencontainers.image.title="infra-fleet local Prometheus" \
      org.opencontainers.image.description="Debian's Prometheus for the local stack" \
      org.opencontainers.image.revision="${REVISION}"
# Debian stable's point releases carry security fixes only; the suite is pinned by BASE_IMAGE and
# an exact package version would stop every build at the next point release.
# The service user is created first with a fixed system uid, so USER is numeric; the package's
# postinst finds it and keeps it.
# hadolint ignore=DL3008
RUN groupadd --system --gid 998 prometheus \
    && useradd --system --uid 998 --gid 998 --home-dir /var/lib/prometheus --no-create-home \
       --shell /bin/sh prometheus \
    && apt-get update \
    && apt-get install -y --no-install-recommends prometheus \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o prometheus -g prometheus /prometheus
USER 998:998
WORKDIR /prometheus
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["python3", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9090/-/ready', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=0.0.0.0:9090"]
