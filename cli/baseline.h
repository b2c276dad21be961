/* Baselines of known findings: `--write-baseline FILE` records every finding of a run, and
 * `--baseline FILE` fails a run only on findings not in FILE (docs/cli.md, "Baselines").
 *
 * The file is JSON, written by this CLI for people to read and review in diffs: one entry per
 * finding key (kind, start routine, the function and file of its site; baseline_findings.h),
 * sorted, each with the count seen when it was written and a note saying what it is:
 *
 *   {
 *     "threadleak_baseline": 1,
 *     "findings": [
 *       {
 *         "kind": "thread_leak",
 *         "start_routine": "poller",
 *         "function": "start_pollers",
 *         "file": "src/server.c",
 *         "count": 2,
 *         "note": "leaked thread (poller), created in start_pollers (src/server.c)"
 *       }
 *     ]
 *   }
 *
 * Not async-signal-safe; the CLI only. */
#ifndef THREADLEAK_CLI_BASELINE_H
#define THREADLEAK_CLI_BASELINE_H

#include "baseline_findings.h"

#include <stdbool.h>
#include <stddef.h>

#define TL_BASELINE_FORMAT 1 /* "threadleak_baseline": the version of the file's layout */

struct tl__baseline_entry {
    struct tl__bl_key key; /* its strings are the entry's own (malloc'd) */
    char *note;            /* NULL when the file had none */
    unsigned long count;   /* threads, times or reports when the baseline was written */
    unsigned long seen;    /* the same, in the run being judged (baseline_gate.c) */
};

struct tl__baseline {
    struct tl__baseline_entry *entry;
    size_t nentry;
};

/* Reads and checks a baseline file. 0, or -1 with one line in err naming the file and what is
 * wrong with it (missing, not JSON, an entry without a kind...): a usage error for the caller. */
int baseline_load(const char *path, struct tl__baseline *b, char *err, size_t errlen);

/* The baseline that records every finding of f: one entry per key, counts summed, sorted. 0, or
 * -1 when memory runs out. */
int baseline_from_findings(const struct tl__bl_findings *f, struct tl__baseline *b);

/* The entry whose key is key; SIZE_MAX when none. */
size_t baseline_find(const struct tl__baseline *b, const struct tl__bl_key *key);

/* Writes b to path atomically (a reader sees the old file or the new one, never half). 0, or -1
 * with a message in err. */
int baseline_write(const char *path, const struct tl__baseline *b, char *err, size_t errlen);

/* "leaked thread (poller), created in start_pollers (src/server.c)": what a key names, for
 * notes and the text report; malloc'd, NULL when memory runs out. */
char *baseline_describe(const struct tl__bl_key *key);

void baseline_free(struct tl__baseline *b);

#endif
