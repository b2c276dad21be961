#!/bin/sh
# asan_bare_preload.sh SHIM BINARIES: ASan builds of corpus programs under a bare preload
# (LD_PRELOAD=libasan.so:libthreadleak.so, no `threadleak run`), each against its run without the
# shim (docs/reliability.md, "Beside AddressSanitizer and LeakSanitizer"):
#   dropped_result   LeakSanitizer's leak report is the same with the shim as without, the status
#                    stays ASan's (1), and the shim's report names the thread never joined;
#   blocked_producer LeakSanitizer's exit-time check stops and scans a thread still running beside
#                    the shim without a fatal error, and finds nothing, as without it;
#   c11_threads_clean clean with and without: status 0, no report from either.
# BINARIES is the gcc-asan directory of the corpus build. Exit 0 all held, 1 a difference.
set -u
shim=$1
bin=$2
asan=$(gcc -print-file-name=libasan.so)
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-asan-bare-XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    printf 'asan_bare_preload: %s\n' "$*"
    failures=$((failures + 1))
}

# run NAME WITH|WITHOUT: the program's status in $work/NAME.WITH.rc, stderr in .err.
run() {
    preload=$asan
    [ "$2" = with ] && preload=$asan:$shim
    ASAN_OPTIONS=detect_leaks=1 LD_PRELOAD=$preload THREADLEAK_OPTIONS=linger_ms=100 \
        timeout -s KILL 60 "$bin/$1" >/dev/null 2>"$work/$1.$2.err"
    echo $? >"$work/$1.$2.rc"
}

# The leak lines of LeakSanitizer's report, without pids and addresses.
lsan_leaks() {
    grep -E '^(Direct|Indirect) leak|^SUMMARY: AddressSanitizer' "$1"
}

for name in dropped_result blocked_producer c11_threads_clean; do
    run "$name" without
    run "$name" with
    rc_without=$(cat "$work/$name.without.rc")
    rc_with=$(cat "$work/$name.with.rc")
    [ "$rc_with" = "$rc_without" ] || fail "$name: status $rc_with with the shim, $rc_without without"
    [ "$(lsan_leaks "$work/$name.with.err")" = "$(lsan_leaks "$work/$name.without.err")" ] ||
        fail "$name: LeakSanitizer's report differs with the shim"
    grep -q 'LeakSanitizer has encountered a fatal error' "$work/$name.with.err" &&
        fail "$name: LeakSanitizer's tracer failed beside the shim"
done

grep -q 'Direct leak of 4096 byte' "$work/dropped_result.without.err" ||
    fail "dropped_result: LeakSanitizer found no leak even without the shim"
[ "$(cat "$work/dropped_result.with.rc")" = 1 ] || fail "dropped_result: status is not ASan's 1"
grep -q 'threadleak: 1 leaked thread' "$work/dropped_result.with.err" ||
    fail "dropped_result: the shim did not report the thread never joined"
grep -q 'start routine: render_preview' "$work/dropped_result.with.err" ||
    fail "dropped_result: the shim's report does not name render_preview"
grep -q 'threadleak: 1 leaked thread' "$work/blocked_producer.with.err" ||
    fail "blocked_producer: the shim did not report the running thread"
[ "$(cat "$work/c11_threads_clean.with.rc")" = 0 ] || fail "c11_threads_clean: status not 0"
grep -q 'leaked thread\|LeakSanitizer' "$work/c11_threads_clean.with.err" &&
    fail "c11_threads_clean: a report for a clean program"

if [ "$failures" -ne 0 ]; then
    for f in "$work"/*.err; do
        printf -- '--- %s (status %s)\n' "${f##*/}" "$(cat "${f%.err}.rc")"
        head -c 2000 "$f"
    done
    exit 1
fi
echo "asan_bare_preload: 3 programs the same with and without the shim under LeakSanitizer"
