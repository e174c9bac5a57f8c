#!/usr/bin/env bash
# A Debian bookworm base image (python3 3.11) built with debootstrap and imported into podman,
# for machines that cannot pull from a registry: `make compose-test` builds every image FROM it
# (BASE_IMAGE). The root filesystem tarball is cached under var/ so repeat runs skip debootstrap.
#
#   scripts/compose_base_image.sh IMAGE_NAME CACHE_DIR
#
# The machine's locally added CA certificates (/usr/local/share/ca-certificates, e.g. a
# TLS-intercepting egress proxy's) are added to the image's trust store, and /etc/pip.conf
# points pip at that store, so builds reach PyPI and Debian the way the host does.
set -euo pipefail

image=${1:?image name}
cache=${2:?cache directory}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
packages=python3,python3-venv,ca-certificates,passwd
tarball="$cache/debian-$suite-python3.tar"

if podman image exists "$image"; then
  exit 0
fi
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "debootstrap $suite ($packages) from $mirror"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log"; exit 1; }
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$suite" "$mirror" "$suite" \
    >"$rootfs/etc/apt/sources.list"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/etc/pip.conf"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$rootfs" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
fi
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  "$tarball" "$image" >/dev/null
echo "imported $image from $tarball"
