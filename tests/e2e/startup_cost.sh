#!/bin/sh
# Issue 14, item 3: a process that never makes a thread pays for the preloaded shim about what it
# pays for any preloaded library. callgrind counts the instructions (Ir) of /bin/true natively and
# under the shim; the test fails when the shim's count exceeds RATIO times the native one.
# Instruction counts are stable on a busy machine, where start-up times are not.
# Usage: startup_cost.sh SHIM [RATIO]. Exits 77 (skipped) without valgrind.
set -u
shim=$1 ratio=${2:-1.3}
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-startup.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Ir of /bin/true with LD_PRELOAD=$1 ("" for none). valgrind's launcher passes LD_PRELOAD on to
# the program it runs; the options variables are cleared so that only the defaults are measured.
instructions() {
    env -u THREADLEAK_OPTIONS -u THREADLEAK_GATE LD_PRELOAD="$1" valgrind --tool=callgrind \
        --callgrind-out-file="$work/cg.%p" /bin/true >/dev/null 2>"$work/err" || {
        cat "$work/err"
        return 1
    }
    sed -n 's/.*Collected : \([0-9][0-9]*\).*/\1/p' "$work/err"
}

# Measured without its debug sections, which are never loaded: valgrind 3.19 cannot read clang's
# DWARF 5 and gives up on the whole library ("Possibly corrupted debuginfo file").
if command -v objcopy >/dev/null 2>&1 && objcopy --strip-debug "$shim" "$work/shim.so"; then
    shim=$work/shim.so
fi

native=$(instructions "") || exit 1
shimmed=$(instructions "$shim") || exit 1
[ -n "$native" ] && [ -n "$shimmed" ] || { echo "FAIL: no instruction count from callgrind"; exit 1; }
verdict=$(awk -v n="$native" -v s="$shimmed" -v r="$ratio" \
    'BEGIN { printf "%.3f %s", s / n, (s <= n * r ? "ok" : "over") }')
echo "/bin/true: native $native Ir, under the shim $shimmed Ir, ratio ${verdict% *} (at most $ratio)"
[ "${verdict#* }" = ok ] || { echo "FAIL: the shim's start-up costs more than ${ratio}x native"; exit 1; }
