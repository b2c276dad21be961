#!/bin/sh
# Issue 16, item 4: a gcc -fsanitize=address program under `threadleak run`. ASan aborts at
# start-up unless libasan comes first in the initial library list, so the CLI preloads it before
# the shim; a user's own LD_PRELOAD of a sanitizer runtime stays before the shim too. The program
# leaves one thread running and joins nothing: the gate must report it (66), not die in ASan.
# Parts 1 and 2 turn LeakSanitizer off (detect_leaks=0) to check the order alone; part 3 turns it
# on: its exit-time check must stop and scan the running thread beside the shim without failing.
# Usage: cli_asan_order.sh CLI SHIM ASAN_PROG
set -u
cli=$1 shim=$(realpath "$2") prog=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-asan.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out" "$work/err"; exit 1; }
export THREADLEAK_SHIM="$shim" ASAN_OPTIONS=detect_leaks=0

# 1. The program's DT_NEEDED libasan.so.N goes first.
unset LD_PRELOAD
timeout -s KILL 60 "$cli" run --linger-ms 0 -- "$prog" >"$work/out" 2>"$work/err"
st=$?
grep -q 'does not come first' "$work/err" && fail "ASan refused the order"
grep -q '^LD_PRELOAD=libasan\.so\.[0-9]*:' "$work/out" || fail "libasan is not first"
[ "$st" -eq 66 ] || fail "exit status $st, want 66 (one leaked thread)"
grep -q 'main .*test_cli_asan_prog\.c' "$work/err" || fail "the report has no creation stack"
# The user's routine, not ASan's trampoline (asan_thread_start), is the start routine.
grep -q 'start routine: blocked_forever' "$work/err" || fail "the start routine is not the user's"

# 2. The user's own preload of the runtime, by path, keeps its place before the shim, and the
# program's need is not named a second time.
asan=$(ldd "$prog" | awk '/libasan\.so/ { print $3 }')
[ -f "$asan" ] || fail "ldd finds no libasan for $prog"
LD_PRELOAD="$asan" timeout -s KILL 60 "$cli" run --linger-ms 0 -- "$prog" >"$work/out" 2>"$work/err"
st=$?
grep -q 'does not come first' "$work/err" && fail "user preload: ASan refused the order"
grep -q "^LD_PRELOAD=$asan:$shim\$" "$work/out" || fail "user preload: wrong order"
[ "$st" -eq 66 ] || fail "user preload: exit status $st, want 66"
# 3. LeakSanitizer's exit-time check with the thread still running: no fatal error in its tracer,
# no leak of memory to report, so the status is the gate's own 66.
unset LD_PRELOAD
ASAN_OPTIONS=detect_leaks=1 timeout -s KILL 60 "$cli" run --linger-ms 0 -- "$prog" \
    >"$work/out" 2>"$work/err"
st=$?
# LSan writes into the report directory now; the CLI prints its reports ("==== LeakSanitizer:
# ...") and its messages ("==PID==LeakSanitizer has encountered a fatal error.") on stderr.
grep -q 'LeakSanitizer has encountered a fatal error' "$work/err" && fail "LSan failed beside the shim"
grep -q 'LeakSanitizer' "$work/err" && fail "LSan reported a leak the program does not have"
[ "$st" -eq 66 ] || fail "detect_leaks=1: exit status $st, want 66"
echo "ok"
