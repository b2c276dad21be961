/* The merged JSON's `leak_groups`: identical leaks of every process of a run (or of several runs
 * merged), grouped by start routine, creation site and state (docs/json-schema.md). A process's
 * own groups already join threads of one source line; this joins the same leak across processes,
 * whatever their pids and load addresses. Not async-signal-safe; the CLI only. */
#ifndef THREADLEAK_CLI_LEAK_GROUPS_H
#define THREADLEAK_CLI_LEAK_GROUPS_H

#include <stdbool.h>

struct tl__json;
struct tl__leak_groups;

struct tl__leak_groups *leak_groups_new(void);

/* Whether a leak object counts: `--baseline` leaves its known ones out (baseline_gate.c). */
typedef bool leak_groups_keep(const void *ctx, const struct tl__json *leak);

/* Adds the leak objects of one readable per-process report (its `leaks` array), those keep
 * keeps (every one when keep is NULL). label is its run's --label, NULL when none. Reports are
 * added in the order of the merged `processes`. Returns 0, or -1 when memory runs out. */
int leak_groups_add_report(struct tl__leak_groups *g, const struct tl__json *report, long pid,
                           const char *label, leak_groups_keep *keep, const void *ctx);

/* The `leak_groups` array as JSON text, most threads first, ties in a fixed order of their keys:
 * the same reports give the same bytes. malloc'd; NULL when memory runs out. */
char *leak_groups_json(struct tl__leak_groups *g);

void leak_groups_free(struct tl__leak_groups *g);

#endif
