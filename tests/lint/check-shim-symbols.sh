#!/bin/sh
# Fails when libthreadleak.so carries code that only the CLI needs, or exports anything but the
# interposed functions and the public tl_* API. Every preloaded process maps the shim, so a parser
# in it is dead weight in every host; and an export it did not mean to make can take the place of a
# host's own symbol. The readers (JSON, TSan reports, ELF) belong in cli/.
# usage: check-shim-symbols.sh NM LIBTHREADLEAK EXPECTED_EXPORTS
set -eu
nm=$1
lib=$2
expected=$3
status=0

# Defined or referenced, local or global: the full table when the library has one (it is stripped
# of it only by an install), the dynamic one otherwise.
symbols=$("$nm" "$lib" 2>/dev/null | awk '{ print $NF }')
[ -n "$symbols" ] || symbols=$("$nm" -D "$lib" | awk '{ print $NF }')
parsers=$(printf '%s\n' "$symbols" | sed 's/@.*//' |
    grep -E '^(tl__json_|json_|tsan_report_|tsan_thread_state_name$|gelf_|elf_|pread_exact$)' |
    sort -u || true)
if [ -n "$parsers" ]; then
    echo "$lib has parser symbols, which belong in the CLI:" $parsers
    status=1
fi

exports=$("$nm" -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | sort -u)
if ! printf '%s\n' "$exports" | diff -u "$expected" - >&2; then
    echo "$lib exports differ from $expected (- expected, + found)"
    status=1
fi
exit $status
