#!/bin/sh
# real_programs.sh SHIM CLI: real programs under a storm of thread dumps behave as they do
# natively (docs/invisible-matrix.md). Each program runs twice at once, natively and under the shim with
# the endpoint on while this script alternates GET /debug/threads?debug=2 and `threadleak dump`,
# and prints one result line that must be the same both times:
#   memcached  a python3 client's set/get load: no error, every reply right
#   python3    a thread sleeping in 100 ms steps with time.sleep: no sleep shorter than asked
#   node       a setTimeout loop of 100 ms steps: no callback early
# Each program works until this script tells it to stop (a line on its stdin): the storm run once
# its TL_STORM dumps are done (default 20), the native twin after WORK_S seconds (3). So every dump
# falls inside the work however slow a loaded machine makes the dumps, and every dump must succeed
# (a shortfall is printed, and so makes the two lines differ). The result line counts only what
# must not differ (early wake-ups, errors), never how many steps ran.
# Exit status: 0 all the same, 1 a difference, 77 none of the programs is installed.
set -u
shim=$1
cli=$2
storm=${TL_STORM:-20}
work_s=3
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-real-XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failures=0
ran=0

say() { printf '%s\n' "$*"; }

# wait_for FILE PATTERN SECONDS: until a line of FILE matches PATTERN.
wait_for() {
    i=0
    while [ "$i" -lt $(($3 * 100)) ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
        i=$((i + 1))
    done
    return 1
}

# storm PID DIR: TL_STORM dumps of PID, spread over about a second, half through the endpoint
# (its address in DIR/threadleak.PID.http) and half through `threadleak dump`. Prints how many
# succeeded.
storm() {
    addr=$(cat "$2/threadleak.$1.http" 2>/dev/null)
    ok=0
    i=0
    while [ "$i" -lt "$storm" ]; do
        if [ $((i % 2)) -eq 0 ] && [ -n "$addr" ] && command -v curl >/dev/null; then
            code=$(curl -s -o "$2/dump.txt" -w '%{http_code}' "http://$addr/debug/threads?debug=2")
            [ "$code" = 200 ] && grep -q '^thread ' "$2/dump.txt" && ok=$((ok + 1))
        else
            "$cli" dump "$1" >"$2/dump.txt" 2>&1 && grep -q '^thread ' "$2/dump.txt" &&
                ok=$((ok + 1))
        fi
        i=$((i + 1))
        sleep 0.03
    done
    say "$ok"
}

# stop_work: the line on the program's stdin (fd 3) that ends its work, after the storm (storm
# mode) or after work_s seconds (native).
stop_work() {
    [ "$1" = storm ] || sleep "$work_s"
    echo stop >&3
    exec 3>&-
}

# run NAME MODE CMD...: runs CMD, which prints "setup", waits for a line on stdin (sent once the
# endpoint is up), prints "ready" when its work starts, works until a second line, and then prints
# "result ..."; MODE native or storm. Prints the result line; in storm mode also checks the dumps.
run() {
    name=$1
    mode=$2
    shift 2
    dir="$work/$name.$mode"
    mkdir -p "$dir"
    mkfifo "$dir/go"
    exec 3<>"$dir/go"
    if [ "$mode" = native ]; then
        "$@" <"$dir/go" >"$dir/out" 2>"$dir/err" &
    else
        LD_PRELOAD=$shim THREADLEAK_OPTIONS="http=127.0.0.1:0:report_dir=$dir:exitcode=0" \
            "$@" <"$dir/go" >"$dir/out" 2>"$dir/err" &
    fi
    pid=$!
    # the work starts once the endpoint is up
    wait_for "$dir/out" '^setup' 20
    [ "$mode" = native ] || wait_for "$dir/threadleak.$pid.http" . 20
    echo go >&3
    if ! wait_for "$dir/out" '^ready' 20; then
        say "$name $mode: never ready: $(head -c 300 "$dir/err")"
        exec 3>&-
        kill "$pid" 2>/dev/null
        wait "$pid"
        return 1
    fi
    if [ "$mode" = storm ]; then
        hits=$(storm "$pid" "$dir")
        if [ "$hits" -ne "$storm" ] || grep -q '^result' "$dir/out"; then
            say "$name storm: $hits of $storm dumps succeeded, not all while it worked"
        fi
    fi
    stop_work "$mode"
    wait "$pid"
    grep '^result' "$dir/out" || say "$name $mode: no result: $(head -c 300 "$dir/err")"
}

# compare NAME CMD...: the native and the storm run must print the same result line.
compare() {
    name=$1
    shift
    ran=$((ran + 1))
    run "$name" native "$@" >"$work/$name.native.line" &
    run "$name" storm "$@" >"$work/$name.storm.line"
    wait
    native=$(cat "$work/$name.native.line")
    stormed=$(cat "$work/$name.storm.line")
    if [ "$native" = "$stormed" ] && [ -n "$native" ]; then
        say "$name: same: $native"
    else
        say "$name: DIFF: native [$native], under the storm [$stormed]"
        failures=$((failures + 1))
    fi
}

# --- python3: time.sleep in a thread ---
python_sleep='
import sys, threading, time
early = 0
stop = threading.Event()
def worker():
    global early
    while not stop.is_set():
        t = time.monotonic()
        time.sleep(0.1)
        if time.monotonic() - t < 0.0999:
            early += 1
print("setup", flush=True)
sys.stdin.readline()
t = threading.Thread(target=worker)
t.start()
print("ready", flush=True)
sys.stdin.readline()
stop.set()
t.join()
print("result early=%d" % early, flush=True)
'
if command -v python3 >/dev/null; then
    compare python3 python3 -c "$python_sleep"
else
    say "python3: not installed, skipped"
fi

# --- node: a setTimeout loop ---
node_timers='
console.log("setup");
require("fs").readSync(0, Buffer.alloc(3));
let early = 0, stop = false, last = process.hrtime.bigint();
process.stdin.once("data", () => { stop = true; process.stdin.destroy(); });
console.log("ready");
function tick() {
    const now = process.hrtime.bigint();
    if (Number(now - last) / 1e6 < 99) early++;
    last = now;
    if (!stop) setTimeout(tick, 100);
    else console.log("result early=" + early);
}
setTimeout(tick, 100);
'
if command -v node >/dev/null; then
    compare node node -e "$node_timers"
else
    say "node: not installed, skipped"
fi

# --- memcached: a short load from a python3 client ---
memcached_client='
import socket, sys, time
port = int(sys.argv[1])
for _ in range(500):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        break
    except OSError:
        time.sleep(0.01)
s.settimeout(5)
f = s.makefile("rwb")
print("setup", flush=True)
sys.stdin.readline()
print("ready", flush=True)
import selectors
stdin = selectors.DefaultSelector()
stdin.register(sys.stdin, selectors.EVENT_READ)
ops = errors = 0
while not stdin.select(timeout=0):
    key = b"k%d" % (ops % 100)
    value = b"v%d" % ops
    try:
        f.write(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value))
        f.write(b"get %s\r\n" % key)
        f.flush()
        ok = f.readline() == b"STORED\r\n"
        ok = f.readline() == b"VALUE %s 0 %d\r\n" % (key, len(value)) and ok
        ok = f.readline() == value + b"\r\n" and ok
        ok = f.readline() == b"END\r\n" and ok
    except OSError:
        ok = False
    errors += not ok
    ops += 1
    time.sleep(0.002)
print("result errors=%d" % errors, flush=True)
'
# The client prints "ready"; the storm goes to the server, whose pid the client cannot know, so
# memcached gets a wrapper: start the server, then run the client in the foreground.
memcached_run() {
    mode=$1
    dir="$work/memcached.$mode"
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    user=
    [ "$(id -u)" = 0 ] && user="-u root"
    if [ "$mode" = native ]; then
        memcached -l 127.0.0.1 -p "$port" -U 0 -t 4 $user 2>"$dir/server.err" &
    else
        LD_PRELOAD=$shim THREADLEAK_OPTIONS="http=127.0.0.1:0:report_dir=$dir:exitcode=0" \
            memcached -l 127.0.0.1 -p "$port" -U 0 -t 4 $user 2>"$dir/server.err" &
    fi
    server=$!
    mkfifo "$dir/go"
    exec 3<>"$dir/go"
    python3 -c "$memcached_client" "$port" <"$dir/go" >"$dir/out" 2>"$dir/err" &
    client=$!
    wait_for "$dir/out" '^setup' 20
    [ "$mode" = native ] || wait_for "$dir/threadleak.$server.http" . 20
    echo go >&3
    if ! wait_for "$dir/out" '^ready' 20; then
        say "memcached $mode: client never ready: $(head -c 300 "$dir/err")"
    elif [ "$mode" = storm ]; then
        hits=$(storm "$server" "$dir")
        if [ "$hits" -ne "$storm" ] || grep -q '^result' "$dir/out"; then
            say "memcached storm: $hits of $storm dumps succeeded, not all while it served"
        fi
    fi
    stop_work "$mode"
    wait "$client"
    kill "$server" 2>/dev/null
    wait "$server"
    grep '^result' "$dir/out" || say "memcached $mode: no result: $(head -c 300 "$dir/err")"
}
if command -v memcached >/dev/null && command -v python3 >/dev/null; then
    ran=$((ran + 1))
    memcached_run native >"$work/memcached.native.line" &
    memcached_run storm >"$work/memcached.storm.line"
    wait
    native=$(cat "$work/memcached.native.line")
    stormed=$(cat "$work/memcached.storm.line")
    if [ "$native" = "$stormed" ] && [ "$native" = "result errors=0" ]; then
        say "memcached: same: $native"
    else
        say "memcached: DIFF: native [$native], under the storm [$stormed]"
        failures=$((failures + 1))
    fi
else
    say "memcached (with a python3 client): not installed, skipped"
fi

[ "$ran" -eq 0 ] && exit 77
[ "$failures" -eq 0 ] && exit 0
exit 1
