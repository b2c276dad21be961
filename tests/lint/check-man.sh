#!/bin/sh
# The man page against the CLI: groff renders man/threadleak.1 without a warning, and the rendered
# page names every subcommand `threadleak --help` lists and every option `threadleak run --help`
# lists, so an option added to the CLI fails here until the page describes it.
# Usage: check-man.sh THREADLEAK_CLI MAN_PAGE     (exit 77, skipped, when groff is missing)
set -u
cli=$1 page=$2
command -v groff >/dev/null || { echo "SKIP: groff is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-man.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail=0

# -ww: every warning; -z: no output. Any line on stderr is a warning.
groff -man -ww -z -Tutf8 "$page" 2>"$work/warnings"
if [ -s "$work/warnings" ]; then
    echo "FAIL: groff warns about $page:"
    cat "$work/warnings"
    fail=1
fi
# Plain text, long lines and no hyphenation, so that no name is broken across lines.
groff -man -Tutf8 -P-cbou -rLL=1000n -rHY=0 "$page" >"$work/page" 2>/dev/null
[ -s "$work/page" ] || { echo "FAIL: groff rendered nothing"; exit 1; }

"$cli" --help >"$work/help" 2>&1
sed -n 's/^  threadleak \([a-z][a-z-]*\).*/\1/p' "$work/help" >"$work/commands"
echo help >>"$work/commands"
"$cli" run --help >"$work/run-help" 2>&1
sed -n 's/^  \(-[a-z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' "$work/run-help" >"$work/options"

commands=$(wc -l <"$work/commands")
options=$(wc -l <"$work/options")
[ "$commands" -ge 4 ] || { echo "FAIL: only $commands commands read from --help"; fail=1; }
[ "$options" -ge 18 ] || { echo "FAIL: only $options options read from run --help"; fail=1; }
while read -r c; do
    grep -q "threadleak $c\b" "$work/page" || { echo "FAIL: the man page does not name 'threadleak $c'"; fail=1; }
done <"$work/commands"
while read -r o; do
    grep -q -- "$o\b" "$work/page" || { echo "FAIL: the man page does not name run's $o"; fail=1; }
done <"$work/options"
[ $fail = 0 ] && echo "ok: no groff warnings; $commands commands and $options run options named"
exit $fail
