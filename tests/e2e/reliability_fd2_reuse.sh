#!/bin/sh
# Issue 16, item 3: the shim never writes into the program's own files. A program under a bare
# LD_PRELOAD (no CLI, no report_dir) leaks a thread, closes fd 2 and opens a data file that gets
# fd 2; the data file must keep exactly its 15 bytes. Then, with report_dir and log_path, the
# JSON report says the text was not written to fd 2, and log_path gets it instead.
# Usage: fd2_reuse.sh SHIM PROG
set -u
shim=$1 prog=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-fd2.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. Bare preload, defaults: the report has nowhere to go but fd 2, so it goes nowhere.
LD_PRELOAD=$shim THREADLEAK_OPTIONS=linger_ms=0 "$prog" "$work/data" 2>"$work/stderr"
st=$?
[ "$st" -ne 3 ] || fail "the data file did not get fd 2"
size=$(wc -c <"$work/data")
[ "$size" -eq 15 ] || { head -c 300 "$work/data"; fail "data file has $size bytes, not 15"; }
[ "$st" -eq 66 ] || fail "exit status $st, want 66 (the leak still fails the process)"
[ ! -s "$work/stderr" ] || fail "the original stderr got output: $(cat "$work/stderr")"

# 2. With report_dir and log_path: the text goes to log_path.PID, the JSON says where it went.
mkdir "$work/reports"
LD_PRELOAD=$shim THREADLEAK_OPTIONS="linger_ms=0:report_dir=$work/reports:log_path=$work/log" \
    "$prog" "$work/data2" 2>/dev/null
size=$(wc -c <"$work/data2")
[ "$size" -eq 15 ] || fail "with log_path: data file has $size bytes, not 15"
set -- "$work"/log.*
[ -s "$1" ] || fail "log_path got no report"
grep -q 'leaked' "$1" || fail "log_path holds no leak report"
grep -q '"text_report"' "$work"/reports/threadleak.*.json &&
    fail "log_path was set: the report went where it was told, yet the JSON has text_report"

# 3. With report_dir only: the JSON records that the text report was skipped.
rm -f "$work"/reports/*
LD_PRELOAD=$shim THREADLEAK_OPTIONS="linger_ms=0:report_dir=$work/reports" \
    "$prog" "$work/data3" 2>/dev/null
size=$(wc -c <"$work/data3")
[ "$size" -eq 15 ] || fail "with report_dir: data file has $size bytes, not 15"
grep -q '"text_report": "skipped: fd 2 is no longer the stderr the process started with"' \
    "$work"/reports/threadleak.*.json || fail "the JSON report does not say the text was skipped"

# 4. Control: fd 2 untouched (the program's stderr is the same file at exit) still gets the
#    report, and the JSON has no text_report member.
rm -f "$work"/reports/*
LD_PRELOAD=$shim THREADLEAK_OPTIONS="linger_ms=0:report_dir=$work/reports" \
    "$prog" - 2>"$work/stderr4"
grep -q 'leaked' "$work/stderr4" || fail "control: the report did not reach the original stderr"
grep -q '"text_report"' "$work"/reports/threadleak.*.json &&
    fail "control: the JSON has text_report although the text went to stderr"
echo ok
