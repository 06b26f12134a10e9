#!/usr/bin/env bash
# `npm test` runs this first (pretest). The suite talks to real services: InfluxDB 1.6.7
# (Debian's `influxdb`), Chromium for the browser tests, a CJK font for zh-CN screenshots.
# PostgreSQL needs nothing here: the machine's server is used when present, otherwise the tests
# start an embedded one. Missing packages are installed when we are root with apt-get;
# otherwise this says exactly what to install.
set -euo pipefail
need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test prerequisites: installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "test prerequisites missing: ${need[*]}" >&2
  echo "install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
