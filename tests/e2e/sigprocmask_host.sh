#!/bin/sh
# The shim's sigprocmask (shim/interpose_signal.c) is the host's sigprocmask: a program printing
# what its calls return, the errno, the old mask (and the bytes past the kernel's 8, which must stay
# as the program left them) and the mask left, prints the same with and without the shim.
# Usage: sigprocmask_host.sh SHIM PROG
set -u
shim=$1 prog=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-sigmask.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
"$prog" >"$work/native" || { echo "FAIL: native run failed"; exit 1; }
LD_PRELOAD=$shim "$prog" >"$work/shim" || { echo "FAIL: run under the shim failed"; exit 1; }
[ "$(wc -l <"$work/native")" -gt 30 ] || { echo "FAIL: too little output"; exit 1; }
nm -D --defined-only "$shim" | grep -qw sigprocmask ||
    { echo "FAIL: the shim does not define sigprocmask"; exit 1; }
if ! diff "$work/native" "$work/shim"; then
    echo "FAIL: the program sees different sigprocmask results under the shim"
    exit 1
fi
echo "same $(wc -l <"$work/native") lines with and without the shim"
