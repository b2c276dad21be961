#!/bin/sh
# Issue 16, item 5: shards never mix. 20 concurrent `threadleak run --keep-reports DIR` share one
# DIR; each run is `sh -c 'PROG -'`, two processes under the real shim, one leaked thread. Each
# merged report must count only its own two processes; `threadleak merge` over the runs (named
# one by one, or by their parent DIR) counts all 40.
# Usage: reliability_shards.sh CLI SHIM PROG
set -u
cli=$1 shim=$2 prog=$3
runs=20
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-shards.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export THREADLEAK_SHIM="$shim"

i=0
while [ "$i" -lt "$runs" ]; do
    (
        "$cli" run --linger-ms 0 --keep-reports "$work/kept" --json "$work/run$i.json" \
            -- sh -c '"$0" -; exit $?' "$prog" >/dev/null 2>"$work/err$i"
        echo $? >"$work/status$i"
    ) &
    i=$((i + 1))
done
wait

i=0
while [ "$i" -lt "$runs" ]; do
    st=$(cat "$work/status$i")
    [ "$st" -eq 66 ] || fail "run $i: status $st, want 66: $(cat "$work/err$i")"
    grep -q '"processes": 2,' "$work/run$i.json" ||
        fail "run $i counted other runs' processes: $(grep -A3 '"summary"' "$work/run$i.json" | tail -4)"
    grep -q '"leaked_threads": 1' "$work/run$i.json" || fail "run $i: leaked_threads is not 1"
    grep -q '^threadleak: reports kept in '"$work"'/kept/run\.' "$work/err$i" ||
        fail "run $i did not name its report directory"
    i=$((i + 1))
done
n=$(sed -n 's/^threadleak: reports kept in //p' "$work"/err* | sort -u | wc -l)
[ "$n" -eq "$runs" ] || fail "$n distinct report directories for $runs runs"

# All runs, named one by one.
"$cli" merge --json "$work/all.json" "$work"/kept/* 2>"$work/merge.err"
st=$?
[ "$st" -eq 66 ] || fail "merge DIR/*: status $st, want 66: $(cat "$work/merge.err")"
grep -q '"processes": 40,' "$work/all.json" || fail "merge DIR/*: not 40 processes"
grep -q '"leaked_threads": 20' "$work/all.json" || fail "merge DIR/*: not 20 leaked threads"
grep -q '^threadleak: 20 leaked threads in 20 of 40 processes$' "$work/merge.err" ||
    fail "merge DIR/*: summary line: $(tail -1 "$work/merge.err")"

# The parent, and a run named twice, count each process once.
set -- "$work"/kept/*
"$cli" merge -q --json "$work/parent.json" "$work/kept" "$1" 2>"$work/merge2.err"
st=$?
[ "$st" -eq 66 ] || fail "merge DIR: status $st: $(cat "$work/merge2.err")"
grep -q '"processes": 40,' "$work/parent.json" || fail "merge DIR: not 40 processes"
[ ! -s "$work/merge2.err" ] || fail "merge -q printed: $(cat "$work/merge2.err")"

# One run alone, with --exitcode 0: its own two processes, status 0.
"$cli" merge --exitcode 0 --json "$work/one.json" "$1" 2>/dev/null || fail "merge --exitcode 0"
grep -q '"processes": 2,' "$work/one.json" || fail "merge of one run: not 2 processes"
echo ok
