#!/bin/sh
# Fails when code in detector/capture/ (the registry's seqlock, the record pool, stack capture)
# calls a libc memory or string function at any optimisation level. Under ThreadSanitizer such a
# call reaches TSan's interceptor, and a reader's copy racing a writer's is then reported as a
# data race in the host program (seen at -O0: the compiler inlines these calls at -O2, so the
# release build hid it). detector/capture/quiet_copy.h is the way to copy record memory. Every
# .c in the folder is checked, so new capture code is covered without editing this script.
# usage: check-quiet-registry.sh CC SOURCE_DIR
set -eu
cc=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
checked=0
for level in -O0 -O1 -O2 -O3; do
    for path in "$src"/detector/capture/*.c; do
        file=$(basename "$path" .c)
        "$cc" "$level" -std=c17 -D_GNU_SOURCE -I"$src/detector/capture" -I"$src/detector" \
            -I"$src/common" -I"$src/include" -c "$path" -o "$out/$file.o"
        checked=$((checked + 1))
        calls=$(nm -u "$out/$file.o" | awk '$2 ~ /^(mem|str|bcopy|bzero)/ { print $2 }')
        if [ -n "$calls" ]; then
            echo "detector/capture/$file.c at $level calls:" $calls "(use quiet_copy.h)"
            status=1
        fi
    done
done
if [ "$checked" -eq 0 ]; then
    echo "no source found in $src/detector/capture"
    exit 1
fi
[ $status -eq 0 ] && echo "detector/capture/*.c ($((checked / 4)) files) call no mem*/str* function"
exit $status
