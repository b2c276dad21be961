#!/bin/sh
# Fails when the registry's seqlock code calls a libc memory or string function at any
# optimisation level. Under ThreadSanitizer such a call reaches TSan's interceptor, and a reader's
# copy racing a writer's is then reported as a data race in the host program (seen at -O0: the
# compiler inlines these calls at -O2, so the release build hid it). detector/quiet_copy.h is the
# way to copy record memory.
# usage: check-quiet-registry.sh CC SOURCE_DIR
set -eu
cc=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for level in -O0 -O1 -O2 -O3; do
    for file in registry stack_capture record_pool; do
        "$cc" "$level" -std=c17 -D_GNU_SOURCE -I"$src/detector" -I"$src/include" \
            -c "$src/detector/$file.c" -o "$out/$file.o"
        calls=$(nm -u "$out/$file.o" | awk '$2 ~ /^(mem|str|bcopy|bzero)/ { print $2 }')
        if [ -n "$calls" ]; then
            echo "detector/$file.c at $level calls:" $calls "(use quiet_copy.h)"
            status=1
        fi
    done
done
[ $status -eq 0 ] && echo "registry, stack_capture and record_pool call no mem*/str* function"
exit $status
