#!/bin/sh
# Fails when libthreadleak.so carries code that only the CLI needs. Every preloaded process maps
# the shim, so a reader in it is dead weight in every host. The readers (JSON, TSan reports, ELF)
# belong in cli/; reports/ keeps the writers (json_write_*, tl__jw_*), which the shim does use.
# What the shim exports is checked at build time against shim/interceptors.inc
# (shim/check_exports.cmake), so the list lives in one place.
# usage: check-shim-symbols.sh NM LIBTHREADLEAK
set -eu
nm=$1
lib=$2

# Defined or referenced, local or global: the full table when the library has one (it is stripped
# of it only by an install), the dynamic one otherwise.
symbols=$("$nm" "$lib" 2>/dev/null | awk '{ print $NF }')
[ -n "$symbols" ] || symbols=$("$nm" -D "$lib" | awk '{ print $NF }')
parsers=$(printf '%s\n' "$symbols" | sed 's/@.*//' |
    grep -E '^(tl__json_|json_|tsan_report_|tsan_thread_state_name$|gelf_|elf_|pread_exact$)' |
    grep -vE '^json_write_' | sort -u || true)
if [ -n "$parsers" ]; then
    echo "$lib has parser symbols, which belong in the CLI:" $parsers
    exit 1
fi
echo "$lib holds no JSON, TSan-report or ELF reader"
