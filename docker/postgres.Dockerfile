# syntax=docker/dockerfile:1
# PostgreSQL 15 from Debian bookworm for the local stack (docker-compose.yml), built FROM the same
# BASE_IMAGE as the portal so it builds where no registry is reachable. Same interface as the
# official postgres image for what the stack uses: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
# data in /var/lib/postgresql/data, port 5432.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE}
ARG REVISION=unknown
LABEL org.opencontainers.image.title="infra-fleet local PostgreSQL" \
      org.opencontainers.image.description="Debian's PostgreSQL 15 for the local stack" \
      org.opencontainers.image.revision="${REVISION}"
# Debian stable's point releases carry security fixes only; the suite is pinned by BASE_IMAGE and
# an exact package version would stop every build at the next point release.
# The service user is created first with a fixed system uid, so USER is numeric; the package's
# postinst finds it and keeps it.
# hadolint ignore=DL3008
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql --no-create-home \
       --shell /bin/sh postgres \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
    && install -d -o postgres -g postgres -m 0775 /var/run/postgresql
COPY --chmod=0755 docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
USER 999:999
EXPOSE 5432
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 CMD ["pg_isready", "-h", "127.0.0.1", "-p", "5432"]
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]
