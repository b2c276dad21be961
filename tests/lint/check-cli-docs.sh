#!/bin/sh
# docs/cli.md's table of `run` options against the CLI's own help: every option in one is in the
# other, and each default the help states is the one the table states. The help prints the values
# the code uses (the shim's defaults come from detector/options.inc), so a default changed in the
# code and not in the docs fails here.
# Usage: check-cli-docs.sh THREADLEAK_CLI DOCS_CLI_MD
set -u
cli=$1 doc=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-clidocs.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
"$cli" run --help >"$work/help" 2>&1

# The help: "  --name ..." opens an option; "default" on its lines gives its default, the value
# being what follows "default", "default:" or "default: the shim's,", up to ";" or ")".
awk '
    /^  -/ {
        if (name != "") print name "\t" def
        line = $0; sub(/^  (-[a-z], )?/, "", line); split(line, w, /[ =]/); name = w[1]; def = ""
    }
    /^[^ ]/ && name != "" { print name "\t" def; name = "" }
    name != "" && match($0, /default[^;)]*/) {
        d = substr($0, RSTART, RLENGTH); sub(/^default:? */, "", d); sub(/^the shim.s, */, "", d)
        def = d
    }
    END { if (name != "") print name "\t" def }
' "$work/help" | sort >"$work/help.tsv"

# The table: "| `--name ARG` | default | meaning |" between "## Options of `run`" and the next
# heading.
awk '
    /^## Options of `run`/ { on = 1; next }
    /^## / { on = 0 }
    on && /^\| `-/ {
        line = $0; gsub(/\\\|/, "/", line); split(line, f, "|")
        cell = f[2]; gsub(/^ *`|`.*$/, "", cell)
        opt = cell; sub(/,.*/, "", opt); split(opt, w, " "); opt = w[1]
        if (opt ~ /^-[a-z]$/) { alt = f[2]; sub(/.*`, `/, "", alt); split(alt, w, /[ `]/); opt = w[1] }
        def = f[3]; gsub(/^ +| +$/, "", def)
        print opt "\t" def
    }
' "$doc" | sort >"$work/doc.tsv"

fail=0
cut -f1 "$work/help.tsv" >"$work/help.names"
cut -f1 "$work/doc.tsv" >"$work/doc.names"
missing=$(comm -23 "$work/help.names" "$work/doc.names")
extra=$(comm -13 "$work/help.names" "$work/doc.names")
[ -z "$missing" ] || { echo "FAIL: in the help, not in docs/cli.md's table:" $missing; fail=1; }
[ -z "$extra" ] || { echo "FAIL: in docs/cli.md's table, not in the help:" $extra; fail=1; }
checked=0
while IFS="$(printf '\t')" read -r name def; do
    [ -n "$def" ] || continue
    doc_def=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$work/doc.tsv")
    checked=$((checked + 1))
    case "$doc_def" in
    *"$def"*) ;;
    *)
        echo "FAIL: $name: the help says the default is '$def', docs/cli.md says '$doc_def'"
        fail=1
        ;;
    esac
done <"$work/help.tsv"
[ "$checked" -ge 4 ] || { echo "FAIL: only $checked defaults read from the help: the parser is wrong"; fail=1; }
[ $fail = 0 ] && echo "ok: $(wc -l <"$work/help.tsv") options, $checked defaults agree"
exit $fail
