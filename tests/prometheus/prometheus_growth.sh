#!/bin/sh
# The growth metrics as Prometheus users wire them (docs/endpoint.md, "/metrics"):
#
#   prometheus_growth.sh rules RULES TESTS   promtool check rules RULES; promtool test rules TESTS
#   prometheus_growth.sh e2e SHIM PROG RULES a program leaking a thread per request (PROG leak)
#                                            runs under the shim with its endpoint on loopback;
#                                            promtool check metrics on a live scrape of /metrics;
#                                            then a real Prometheus server, started here on
#                                            loopback with RULES loaded, scrapes it until its HTTP
#                                            API returns the leak's site as growing
#
# Skips (77) with a message where Debian's prometheus package is missing (.ci/install-deps
# installs it). No timing is asserted: the e2e polls with a generous deadline.
set -eu
mode=$1
shift

need() {
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: $tool not found; install Debian's prometheus package (.ci/install-deps does)"
            exit 77
        fi
    done
}

if [ "$mode" = rules ]; then
    need promtool
    promtool check rules "$1"
    cd "$(dirname "$2")" && promtool test rules "$(basename "$2")"
    exit 0
fi

need promtool prometheus python3
shim=$1 prog=$2 rules=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/tl-prometheus-XXXXXX")
prog_pid='' prom_pid=''
cleanup() {
    [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
    [ -n "$prog_pid" ] && kill "$prog_pid" 2>/dev/null && wait "$prog_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

# GET URL (loopback), the body on stdout; fails on anything but 200.
get() {
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode())' "$1"
}

# Waits up to 60 s for FILE to hold a line.
wait_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -le 600 ] || { echo "FAIL: no $1"; cat "$dir/prog.out"; exit 1; }
        sleep 0.1
    done
}

THREADLEAK_OPTIONS="http=127.0.0.1:0:report_dir=$dir:exitcode=0:growth_sample_ms=100:growth_window_s=20" \
    LD_PRELOAD="$shim" "$prog" leak >"$dir/prog.out" 2>&1 &
prog_pid=$!
wait_file "$dir/threadleak.$prog_pid.http"
where=$(head -n 1 "$dir/threadleak.$prog_pid.http")
i=0
until grep -q '^ready$' "$dir/prog.out"; do
    i=$((i + 1))
    [ $i -le 600 ] || { echo "FAIL: the program never got ready"; cat "$dir/prog.out"; exit 1; }
    sleep 0.1
done
leak_line=$(sed -n 's/^leak_site=//p' "$dir/prog.out")

# A live scrape, as promtool lints exporters.
get "http://$where/metrics" >"$dir/metrics.txt"
grep -q '^threadleak_threads_by_site{' "$dir/metrics.txt" || { echo "FAIL: no threadleak_threads_by_site"; cat "$dir/metrics.txt"; exit 1; }
promtool check metrics <"$dir/metrics.txt"
echo "promtool check metrics: ok ($(grep -c '^threadleak_' "$dir/metrics.txt") series)"

# A real server on loopback, on a port the system picks for us (free when we start it).
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: growth_prog
    static_configs:
      - targets: ['$where']
CONF
promtool check config "$dir/prometheus.yml" >/dev/null
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$dir/prometheus.log" 2>&1 &
prom_pid=$!

query='threadleak_group_growing==1'
i=0
while :; do
    answer=$(get "http://127.0.0.1:$prom_port/api/v1/query?query=$query" 2>/dev/null || true)
    case $answer in
    *"growth_prog.c:$leak_line"*) break ;;
    esac
    i=$((i + 1))
    if [ $i -gt 240 ]; then
        echo "FAIL: Prometheus never reported growth_prog.c:$leak_line growing; last answer: $answer"
        tail -n 20 "$dir/prometheus.log"
        exit 1
    fi
    sleep 0.5
done
echo "Prometheus API: $answer"
case $answer in
*'"start_routine":"blocked_for_good"'*) ;;
*) echo "FAIL: the growing series does not name its start routine"; exit 1 ;;
esac
# The recording rules are loaded and evaluated over the real series too.
rules_answer=$(get "http://127.0.0.1:$prom_port/api/v1/rules")
case $rules_answer in
*ThreadLeakGrowing*) ;;
*) echo "FAIL: the rules file was not loaded: $rules_answer"; exit 1 ;;
esac
echo "ok"
