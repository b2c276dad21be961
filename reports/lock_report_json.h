/* The lock module's findings in the per-process JSON report: the members "deadlocks",
 * "lock_order", "misuse" and "lock_stats" (docs/json-schema.md). json_report.c writes them when
 * the findings carry lock findings, that is under the lock module only. */
#ifndef THREADLEAK_LOCK_REPORT_JSON_H
#define THREADLEAK_LOCK_REPORT_JSON_H

#include "json_writer.h"
#include "lock_findings.h"

void lock_report_json(struct tl__json_writer *w, const struct tl__lock_findings *l);

#endif
