#!/usr/bin/env bash
# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
# Measures otelcol-mnm at scale (docs/performance.md): the built binary runs the
# shipped configuration (config/otelcol-mnm.yaml: metrics every 60 s to the
# Prometheus exporter, inventory every 5 min to the controller through the
# persistent queue) against the Proxmox simulator and the controller stand-in,
# while this script scrapes the exporter the way Prometheus does. It prints the
# peak resident memory, the scrape times and the receiver's collection times.
# Everything listens on 127.0.0.1 with free ports and every process started here
# is stopped on exit.
#
#   docs/measure-collector.sh                                # 16 nodes, 2,000 guests, 10 min
#   NODES=32 GUESTS=10000 docs/measure-collector.sh
#   MODE=push docs/measure-collector.sh                      # config/otelcol-mnm-otlp.yaml into Prometheus 3
#   CONFIG=config/demo.yaml METRICS_INTERVAL=5s DURATION=60 docs/measure-collector.sh
#
# Needs a built binary (make build), Go for the two stand-ins, curl and
# python3 (free ports). The Go
# runtime settings the service ships (Environment= in
# packaging/otelcol-mnm.service: GOGC, GOMEMLIMIT) apply to the collector
# unless set here; GOGC=100 GOMEMLIMIT=off measures without them.
# GCTRACE=1 prints the GC cycles and the live heap after the last ones
# (a GODEBUG of the caller is kept).
# PVESIM_FLAGS adds simulator flags, e.g. -guest-agent-details (what VMs' agents tell).
# MODE=push runs the push variant: the overlay config/otelcol-mnm-otlp.yaml sends
# the metrics to Prometheus 3's OTLP receiver (make prometheus3 builds it into
# _build/prometheus3), and the script reads the collections from Prometheus
# instead of scraping; it also prints the metric points pushed per collection.
# COLLECTOR_ARGS adds an argument to the collector's command line, e.g.
#   COLLECTOR_ARGS='--config=yaml:exporters::otlp_http/prometheus::compression: none' (one argument)
# PROFILE_DIR=dir also enables the pprof extension and saves heap profiles
# there after the first collection and at the end (go tool pprof -top -sample_index=inuse_space).
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${OTELCOL_MNM_BIN:-_build/otelcol-mnm}
CONFIG=${CONFIG:-config/otelcol-mnm.yaml}
MODE=${MODE:-pull}
PROMETHEUS3=${PROMETHEUS3_BIN:-_build/prometheus3}
NODES=${NODES:-16}
GUESTS=${GUESTS:-2000}
DURATION=${DURATION:-600}            # seconds of steady state, after the first scrape with guest series
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-60} # seconds between scrapes, as Prometheus' scrape_interval
LATENCY=${LATENCY:-10ms}             # simulated time per Proxmox request
WORKERS=${WORKERS:-3}                # pveproxy workers per simulated node

[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }
case "$MODE" in
pull) ;;
push) [ -x "$PROMETHEUS3" ] || { echo "no $PROMETHEUS3: run make prometheus3 first" >&2; exit 1; } ;;
*) echo "MODE=$MODE: use pull or push" >&2; exit 1 ;;
esac
RUNTIME_ENV=()
while IFS='=' read -r name value; do
	RUNTIME_ENV+=("$name=${!name:-$value}")
done < <(sed -n 's/^Environment=\(GO[A-Z]*\)=\(.*\)$/\1=\2/p' packaging/otelcol-mnm.service)

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	# LOG_DIR keeps the logs and the last scrape
	[ -n "${LOG_DIR:-}" ] && mkdir -p "$LOG_DIR" && cp "$WORK"/*.log "$WORK"/*.txt "$LOG_DIR"/ 2>/dev/null
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # exit, which runs cleanup

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_file() { for _ in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
status_kib() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$COLLECTOR/status"; }
# Prometheus 2.x asks for the text format with this header.
ACCEPT='Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1'
scrape() { curl -sf -H "$ACCEPT" -o "$WORK/scrape.txt" -w '%{time_total} %{size_download}' "http://127.0.0.1:$PROM_PORT/metrics"; }

# Build the stand-ins first so that compile time and memory do not overlap with
# the measurement.
go build -o "$WORK/pvesim" ./cmd/pvesim
go build -o "$WORK/mnm-controller-sim" ./cmd/mnm-controller-sim

# shellcheck disable=SC2086 # PVESIM_FLAGS are words, e.g. "-guest-agent-details"
"$WORK/pvesim" -nodes "$NODES" -guests "$GUESTS" -latency "$LATENCY" -workers "$WORKERS" ${PVESIM_FLAGS:-} \
	-listen 127.0.0.1:0 -ready-file "$WORK/pve.addr" -ca-out "$WORK/pve-ca.pem" >"$WORK/pvesim.log" 2>&1 &
PIDS+=($!)
"$WORK/mnm-controller-sim" -listen 127.0.0.1:0 -secret x -ready-file "$WORK/controller.url" >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
wait_file "$WORK/pve.addr"
wait_file "$WORK/controller.url"

PROM_PORT=$(free_port)
HEALTH_PORT=$(free_port)
TELEMETRY_PORT=$(free_port)
OVERLAY=()
if [ "$MODE" = push ]; then
	SINK_PORT=$(free_port)
	printf 'global:\n  evaluation_interval: 1m\notlp:\n  translation_strategy: UnderscoreEscapingWithSuffixes\n' >"$WORK/prometheus.yml"
	"$PROMETHEUS3" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:$SINK_PORT" \
		--web.enable-otlp-receiver --log.level=warn >"$WORK/prometheus.log" 2>&1 &
	PIDS+=($!)
	OVERLAY=(--config config/otelcol-mnm-otlp.yaml)
fi
# An instant query of the push variant's Prometheus: the first value.
query() { curl -sf "http://127.0.0.1:$SINK_PORT/api/v1/query" --data-urlencode "query=$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'; }
telemetry() { curl -sf "http://127.0.0.1:$TELEMETRY_PORT/metrics" | awk -v m="$1" 'index($1, m "{") == 1 || $1 == m {s += $NF} END {print s + 0}'; }
PROFILE_ARGS=()
if [ -n "${PROFILE_DIR:-}" ]; then
	mkdir -p "$PROFILE_DIR"
	PPROF_PORT=$(free_port)
	PROFILE_ARGS=(--config "yaml:extensions::pprof::endpoint: 127.0.0.1:$PPROF_PORT"
		--config 'yaml:service::extensions: [health_check, file_storage/mnm_queue, pprof]')
fi
heap_profile() { [ -z "${PROFILE_DIR:-}" ] || curl -sf -o "$PROFILE_DIR/heap-$1.pb.gz" "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap"; }
PROXMOX_ENDPOINT="https://$(cat "$WORK/pve.addr")" \
	PROXMOX_TOKEN_ID='monitor@pve!mnm' \
	PROXMOX_TOKEN_SECRET=5f0c2a4e-7b1d-4c3a-9e86-2d4b6a8c0e13 \
	PROXMOX_CA_FILE="$WORK/pve-ca.pem" \
	MNM_CONTROLLER_ENDPOINT="$(cat "$WORK/controller.url")" \
	MNM_CONTROLLER_SECRET=x \
	MNM_QUEUE_DIR="$WORK/queue" \
	MNM_METRICS_INTERVAL=${METRICS_INTERVAL:-60s} \
	MNM_INVENTORY_INTERVAL=${INVENTORY_INTERVAL:-5m} \
	MNM_PROMETHEUS_LISTEN="127.0.0.1:$PROM_PORT" \
	MNM_HEALTH_CHECK_LISTEN="127.0.0.1:$HEALTH_PORT" \
	MNM_TELEMETRY_HOST=127.0.0.1 MNM_TELEMETRY_PORT="$TELEMETRY_PORT" \
	MNM_PROMETHEUS_OTLP_URL="http://127.0.0.1:${SINK_PORT:-1}/api/v1/otlp" \
	env "${RUNTIME_ENV[@]}" GODEBUG="${GODEBUG:-}${GCTRACE:+,gctrace=1}" "$BIN" --config "$CONFIG" "${OVERLAY[@]}" "${PROFILE_ARGS[@]}" ${COLLECTOR_ARGS:+"$COLLECTOR_ARGS"} >"$WORK/collector.log" 2>&1 &
COLLECTOR=$!
PIDS+=("$COLLECTOR")

# Wait until the guest series are there (served by the exporter, or pushed
# into Prometheus): the first metrics collection is done.
has_guests() {
	if [ "$MODE" = push ]; then [ -n "$(query 'count(mnm_proxmox_vm_status)' 2>/dev/null)" ]
	else scrape >/dev/null 2>&1 && grep -q '^mnm_proxmox_vm_status' "$WORK/scrape.txt"; fi
}
for _ in $(seq 300); do has_guests && break; sleep 1; done
has_guests || { echo "no guest series after 300 s" >&2; tail -20 "$WORK/collector.log" >&2; exit 1; }
points_at_start=$(telemetry otelcol_exporter_sent_metric_points)

echo "otelcol-mnm pid $COLLECTOR, $CONFIG (${RUNTIME_ENV[*]}): $NODES nodes, $GUESTS guests, latency $LATENCY, $WORKERS workers/node"
echo "after the first collection: VmRSS $(kib_to_mib "$(status_kib VmRSS)") MiB, VmHWM $(kib_to_mib "$(status_kib VmHWM)") MiB"
heap_profile first
echo "steady state: ${DURATION}s, VmRSS sampled every second, a scrape every ${SCRAPE_INTERVAL}s"
peak_rss=0
: >"$WORK/scrapes.txt"
: >"$WORK/collections.txt"
for i in $(seq 0 $((DURATION - 1))); do
	kill -0 "$COLLECTOR" 2>/dev/null || { echo "otelcol-mnm exited:" >&2; tail -20 "$WORK/collector.log" >&2; exit 1; }
	if [ $((i % SCRAPE_INTERVAL)) -eq 0 ] && [ "$MODE" = pull ]; then
		scrape >>"$WORK/scrapes.txt" && echo >>"$WORK/scrapes.txt"
		awk '/^mnm_proxmox_collection_duration/ {print $NF}' "$WORK/scrape.txt" >>"$WORK/collections.txt"
	elif [ $((i % SCRAPE_INTERVAL)) -eq 0 ]; then
		query 'mnm_proxmox_collection_duration_seconds' >>"$WORK/collections.txt" || true
	fi
	rss=$(status_kib VmRSS)
	[ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
	sleep 1
done

heap_profile end
echo "VmRSS now $(kib_to_mib "$(status_kib VmRSS)") MiB, peak sampled in steady state $(kib_to_mib "$peak_rss") MiB, VmHWM (whole run) $(kib_to_mib "$(status_kib VmHWM)") MiB"
echo "of VmRSS now: RssAnon $(kib_to_mib "$(status_kib RssAnon)") MiB (heap, stacks, runtime), RssFile $(kib_to_mib "$(status_kib RssFile)") MiB (executable pages)"
if [ "$MODE" = pull ]; then
	series=$(grep -c '^[a-z]' "$WORK/scrape.txt")
	echo "Prometheus scrape: $series series, $(awk '{print $2}' "$WORK/scrapes.txt" | tail -1) bytes; time_total of $(wc -l <"$WORK/scrapes.txt") scrapes (s):"
	awk '{print $1}' "$WORK/scrapes.txt" | sort -n | tr '\n' ' '
	echo
else
	points=$(( $(telemetry otelcol_exporter_sent_metric_points) - points_at_start ))
	echo "pushed to Prometheus 3 over OTLP: $(query 'count({__name__=~"mnm_proxmox_.+"})') series; $points metric points in ${DURATION}s ($(( points * 60 / DURATION )) a minute), $(telemetry otelcol_exporter_send_failed_metric_points) failed"
fi
echo "metrics collection durations seen by the scrapes (s, mnm_proxmox_collection_duration):"
sort -n "$WORK/collections.txt" | uniq | tr '\n' ' '
echo
if [ -n "${GCTRACE:-}" ]; then
	echo "GC cycles: $(grep -c '^gc ' "$WORK/collector.log"), live heap after the last 10 (MB): $(grep '^gc ' "$WORK/collector.log" | tail -10 | sed 's/.*->\([0-9]*\) MB,.*/\1/' | tr '\n' ' ')"
fi
upserts=$(grep -c 'upsert ' "$WORK/controller.log" || true)
errors=$(grep -c '"level":"error"\|\terror\t' "$WORK/collector.log" || true)
echo "controller stand-in received $upserts upserts; collector logged $errors error lines"
