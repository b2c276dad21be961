/* `--baseline FILE` and `--write-baseline FILE` of `run` and `merge`: the merged result of a run
 * judged against a baseline of known findings (baseline.h). Known findings move out of the
 * processes' arrays (and out of tsan_findings, asan_findings) into the merged JSON's `baselined`,
 * baseline entries that no longer occur are listed in `baseline_fixed`, and the counts the exit
 * status is decided from drop the known ones. Not async-signal-safe; the CLI only. */
#ifndef THREADLEAK_CLI_BASELINE_GATE_H
#define THREADLEAK_CLI_BASELINE_GATE_H

#include "baseline.h"
#include "report_merge.h"

#include <stdbool.h>
#include <sys/types.h>

struct tl__baseline_gate {
    const char *path;        /* --baseline FILE; NULL: none */
    const char *write_path;  /* --write-baseline FILE; NULL: none */
    const char *source_root; /* --source-root DIR; NULL: the working directory */
    struct tl__baseline known;
};

/* What the caller counted itself and must now count without the known findings. */
struct tl__baseline_known {
    unsigned long tsan; /* known ThreadSanitizer findings */
    unsigned long asan; /* known AddressSanitizer and LeakSanitizer findings */
};

/* Before anything runs: reads --baseline, so that a missing or malformed file is a usage error
 * rather than a run without a baseline. Returns 0, or TL_STATUS_USAGE after one line on stderr.
 * With neither option it does nothing. */
int baseline_gate_open(struct tl__baseline_gate *g, const char *path, const char *write_path,
                       const char *source_root);

/* After the merge: writes --write-baseline (every finding of m), then judges m against --baseline
 * (or, without one, against what it just wrote: everything is known), rewriting m's JSON, text
 * and counts in place. target is the run's PROG (0 for `merge`). Returns 0, or -1 after one line
 * on stderr (the baseline could not be written, or memory ran out). */
int baseline_gate_apply(struct tl__baseline_gate *g, pid_t target, struct tl__merge_result *m,
                        struct tl__baseline_known *known);

void baseline_gate_close(struct tl__baseline_gate *g);

#endif
