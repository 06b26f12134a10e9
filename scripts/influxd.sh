#!/usr/bin/env sh
# Start/stop a long-lived InfluxDB 1.x (Debian's `influxd`) on loopback, for CI or a developer
# who wants INFLUX_URL without touching the system service (which would take 8086/8088).
#
#   scripts/influxd.sh start [http-port] [dir]   # default port 8186, dir ./.data/influxd
#   scripts/influxd.sh stop  [dir]
#
# Prints the INFLUX_* settings to use. Tests do not need this: tests/helpers/influx.ts spawns
# their own influxd on ephemeral ports.
set -eu

cmd=${1:-}
case "$cmd" in
  start)
    port=${2:-8186}
    dir=${3:-./.data/influxd}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/influxd.pid" ] && kill -0 "$(cat "$dir/influxd.pid")" 2>/dev/null; then
      echo "influxd already running (pid $(cat "$dir/influxd.pid"))" >&2
    else
      command -v influxd >/dev/null || { echo "influxd not found: apt-get install -y influxdb" >&2; exit 1; }
      # RPC (backup/restore) listener: the port after the http one, not the 8088 default.
      rpc=$((port + 1))
      cat >"$dir/influxd.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
  logging-enabled = false
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  log-enabled = false
  pprof-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
EOF
      nohup influxd run -config "$dir/influxd.conf" >>"$dir/influxd.log" 2>&1 &
      echo $! >"$dir/influxd.pid"
    fi
    i=0
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/ping"; do
      i=$((i + 1))
      if [ "$i" -gt 100 ]; then
        echo "influxd did not answer on 127.0.0.1:$port; see $dir/influxd.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo "INFLUX_URL=http://127.0.0.1:$port INFLUX_API=1 INFLUX_DB=bops"
    ;;
  stop)
    dir=${2:-./.data/influxd}
    if [ -f "$dir/influxd.pid" ]; then
      pid=$(cat "$dir/influxd.pid")
      kill "$pid" 2>/dev/null || true
      i=0
      while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/influxd.pid"
    fi
    ;;
  *)
    echo "usage: $0 start [http-port] [dir] | stop [dir]" >&2
    exit 2
    ;;
esac
