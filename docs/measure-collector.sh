#!/usr/bin/env bash
# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
# Measures otelcol-mnm at scale (docs/performance.md): resident memory of the
# built binary with both pipelines (config/demo.yaml) against the Proxmox
# simulator and the controller stand-in, and the time of a Prometheus-format
# scrape of its exporter. Everything listens on 127.0.0.1 with free ports and
# every process started here is stopped on exit.
#
#   docs/measure-collector.sh            # 32 nodes, 10,000 guests, 180 s
#   NODES=16 GUESTS=2000 DURATION=60 docs/measure-collector.sh
#   METRICS_INTERVAL=60s INVENTORY_INTERVAL=5m DURATION=330 docs/measure-collector.sh   # production cadence
#
# Needs a built binary (make build) and Go for the two stand-ins.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${OTELCOL_MNM_BIN:-_build/otelcol-mnm}
NODES=${NODES:-32}
GUESTS=${GUESTS:-10000}
DURATION=${DURATION:-180} # seconds of RSS sampling
SCRAPES=${SCRAPES:-10}    # timed Prometheus scrapes
LATENCY=${LATENCY:-5ms}   # simulated time per Proxmox request
WORKERS=${WORKERS:-3}     # pveproxy workers per simulated node

[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	# LOG_DIR keeps the logs (e.g. with GODEBUG=gctrace=1 for the live heap after each GC)
	[ -n "${LOG_DIR:-}" ] && mkdir -p "$LOG_DIR" && cp "$WORK"/*.log "$LOG_DIR"/ 2>/dev/null
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # exit, which runs cleanup

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_file() { for _ in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

# Build the stand-ins first so that `go run` compile time and memory do not
# overlap with the measurement.
go build -o "$WORK/pvesim" ./cmd/pvesim
go build -o "$WORK/mnm-controller-sim" ./cmd/mnm-controller-sim

"$WORK/pvesim" -nodes "$NODES" -guests "$GUESTS" -latency "$LATENCY" -workers "$WORKERS" \
	-listen 127.0.0.1:0 -ready-file "$WORK/pve.addr" -ca-out "$WORK/pve-ca.pem" >"$WORK/pvesim.log" 2>&1 &
PIDS+=($!)
"$WORK/mnm-controller-sim" -listen 127.0.0.1:0 -secret x -ready-file "$WORK/controller.url" >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
wait_file "$WORK/pve.addr"
wait_file "$WORK/controller.url"

PROM_PORT=$(free_port)
HEALTH_PORT=$(free_port)
PROXMOX_ENDPOINT="https://$(cat "$WORK/pve.addr")" \
	PROXMOX_TOKEN_ID='monitor@pve!mnm' \
	PROXMOX_TOKEN_SECRET=5f0c2a4e-7b1d-4c3a-9e86-2d4b6a8c0e13 \
	PROXMOX_CA_FILE="$WORK/pve-ca.pem" \
	MNM_CONTROLLER_ENDPOINT="$(cat "$WORK/controller.url")" \
	MNM_CONTROLLER_SECRET=x \
	MNM_QUEUE_DIR="$WORK/queue" \
	MNM_METRICS_INTERVAL=${METRICS_INTERVAL:-5s} \
	MNM_INVENTORY_INTERVAL=${INVENTORY_INTERVAL:-10s} \
	MNM_PROMETHEUS_LISTEN="127.0.0.1:$PROM_PORT" \
	MNM_HEALTH_CHECK_LISTEN="127.0.0.1:$HEALTH_PORT" \
	"$BIN" --config config/demo.yaml >"$WORK/collector.log" 2>&1 &
COLLECTOR=$!
PIDS+=("$COLLECTOR")

# Wait until the exporter serves guest series.
for _ in $(seq 120); do
	# read the whole answer first: closing the pipe early makes the exporter log a broken pipe
	curl -sf -o "$WORK/scrape.txt" "http://127.0.0.1:$PROM_PORT/metrics" 2>/dev/null &&
		grep -q '^mnm_proxmox_vm_status' "$WORK/scrape.txt" && break
	sleep 1
done

echo "otelcol-mnm pid $COLLECTOR: $NODES nodes, $GUESTS guests, latency $LATENCY, $WORKERS workers/node"
echo "sampling VmRSS every second for ${DURATION}s"
peak_rss=0
for _ in $(seq "$DURATION"); do
	kill -0 "$COLLECTOR" 2>/dev/null || { echo "otelcol-mnm exited:" >&2; tail -20 "$WORK/collector.log" >&2; exit 1; }
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$COLLECTOR/status")
	[ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
	sleep 1
done
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$COLLECTOR/status")
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$COLLECTOR/status")
printf 'VmRSS now %.1f MiB, peak sampled %.1f MiB, VmHWM %.1f MiB\n' \
	"$(echo "$rss/1024" | bc -l)" "$(echo "$peak_rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)"

size=$(curl -s -o "$WORK/scrape.txt" -w '%{size_download}' "http://127.0.0.1:$PROM_PORT/metrics")
series=$(grep -vc '^#' "$WORK/scrape.txt")
echo "Prometheus scrape: $series series, $size bytes; time_total of $SCRAPES scrapes (s):"
for _ in $(seq "$SCRAPES"); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PROM_PORT/metrics"
done | sort -n | tr '\n' ' '
echo
upserts=$(grep -c 'upsert ' "$WORK/controller.log" || true)
errors=$(grep -c '"level":"error"\|\terror\t' "$WORK/collector.log" || true)
echo "controller stand-in received $upserts upserts; collector logged $errors error lines"
