#!/bin/sh
# Runs every built reference program (plain, clang-tsan, gcc-tsan) once, each under
# `timeout -s KILL` (TSan builds hang at exit when main calls pthread_exit), and keeps each run's
# combined stdout+stderr in OUTDIR/VARIANT/NAME.out. Prints one line per run:
#   VARIANT NAME exit=STATUS seconds=S tsan_warnings=N
# It checks nothing against the manifests; that is the corpus checker's job.
#
# Programs whose manifest says "hangs": true (TSan builds of pthread_exit_main) get the short
# CORPUS_HANG_TIMEOUT (default 2 s); all others CORPUS_TIMEOUT (default 10 s: gcc-tsan
# thousand_leaks needs 1-3 s, more on a loaded machine). The programs that deadlock (their
# manifest's `locks` block lists a self_lock or lock_cycle) hang in every build, plain included:
# they get the short timeout everywhere.
#
# usage: run_corpus.sh BUILD_DIR [OUTDIR]     (TSAN_OPTIONS from the environment is passed on)
set -u
build=${1:?usage: run_corpus.sh BUILD_DIR [OUTDIR]}
outdir=${2:-$build/tests/reference/runs}
limit=${CORPUS_TIMEOUT:-10}
hang_limit=${CORPUS_HANG_TIMEOUT:-2}
manifests=$(dirname "$0")
start_all=$(date +%s.%N)
for variant in plain clang-tsan gcc-tsan; do
    dir=$build/tests/reference/$variant
    [ -d "$dir" ] || continue
    mkdir -p "$outdir/$variant"
    for prog in "$dir"/*; do
        [ -x "$prog" ] || continue
        name=$(basename "$prog")
        out=$outdir/$variant/$name.out
        timeout=$limit
        if [ "$variant" != plain ] &&
            grep -q '"hangs": true' "$manifests/$name.expect.json" 2>/dev/null; then
            timeout=$hang_limit
        fi
        if grep -q '"kind": "\(self_lock\|lock_cycle\)"' "$manifests/$name.expect.json" \
            2>/dev/null; then
            timeout=$hang_limit
        fi
        t0=$(date +%s.%N)
        timeout -s KILL "$timeout" "$prog" >"$out" 2>&1 </dev/null
        status=$?
        t1=$(date +%s.%N)
        warnings=$(grep -c '^WARNING: ThreadSanitizer:' "$out")
        awk -v v="$variant" -v n="$name" -v s="$status" -v a="$t0" -v b="$t1" -v w="$warnings" \
            'BEGIN { printf "%s %s exit=%s seconds=%.2f tsan_warnings=%s\n", v, n, s, b - a, w }'
    done
done
awk -v a="$start_all" -v b="$(date +%s.%N)" 'BEGIN { printf "total seconds=%.2f\n", b - a }'
