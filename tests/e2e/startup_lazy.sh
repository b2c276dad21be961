#!/bin/sh
# Issue 14, item 3: nothing heavy loads until it is needed. Under the shim, a program that makes
# no thread never maps libunwind, libdw or the HTTP module, not even at exit (the loader's own
# log, LD_DEBUG=files, sees every load of the process's life); one that makes a thread loads
# libunwind for its creation stack. Usage: startup_lazy.sh SHIM PROG
set -u
shim=$1 prog=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-lazy.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() {
    env -u THREADLEAK_OPTIONS -u THREADLEAK_GATE LD_PRELOAD="$shim" LD_DEBUG=files \
        LD_DEBUG_OUTPUT="$work/ld" "$@"
}

# Loads of the process's life, as the loader logged them ("file=NAME [0];  needed by" or
# "dynamically loaded by"), one file per process.
loaded() {
    cat "$work"/ld.* 2>/dev/null | sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u
}

run "$prog" none 2>"$work/err" || fail "no thread: $(cat "$work/err")"
for lib in libunwind libdw libthreadleak_http libgcc_s; do
    loaded | grep -q "^$lib" && fail "no thread, but $lib was loaded"
done
rm -f "$work"/ld.*

run /bin/true || fail "/bin/true under the shim failed"
for lib in libunwind libdw libthreadleak_http libgcc_s; do
    loaded | grep -q "^$lib" && fail "/bin/true loaded $lib"
done
rm -f "$work"/ld.*

run "$prog" thread 2>"$work/err" || fail "one thread: $(cat "$work/err")"
loaded | grep -q "^libunwind" || fail "a thread was made, but libunwind was never loaded"
echo "ok: libunwind loads on the first thread, and nothing heavy before"
