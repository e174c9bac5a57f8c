#!/usr/bin/env bash
# Install Debian packages for `make test` / `make run` (Chromium, podman, prometheus, npm, zsh...).
# Another apt or dpkg run holding the lock is waited for (up to 10 min), not treated as a failure:
# `make test` must not go red because something else on the machine is installing at the time.
set -euo pipefail
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "apt_install: not root or no apt-get; install Debian's $* yourself" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt() {  # one apt-get call, retried while another process holds apt's or dpkg's lock
  local err
  for _ in $(seq 60); do
    if err=$(apt-get -o DPkg::Lock::Timeout=600 -qq "$@" 2>&1 >/dev/null); then
      return 0
    fi
    case "$err" in
      *"Could not get lock"* | *"Unable to acquire"* | *"Unable to lock"*) sleep 10 ;;
      *) echo "$err" >&2; return 1 ;;
    esac
  done
  echo "apt_install: apt's lock was held for 10 minutes: $err" >&2
  return 1
}
apt update
apt install -y "$@"
