/* The lock module's sections of the text report (docs/report-format.md, docs/locks.md): one block
 * per deadlock, per lock-order inversion (TSan-style, both stacks of every edge) and per misuse
 * group, after the leak groups; and the counts that end the SUMMARY line. */
#ifndef THREADLEAK_LOCK_REPORT_TEXT_H
#define THREADLEAK_LOCK_REPORT_TEXT_H

#include "lock_findings.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* The blocks; true when it wrote any. */
bool lock_report_text(FILE *out, pid_t pid, const struct tl__lock_findings *l, bool color);

/* One deadlock's block, for the live report a deadlock prints at once. */
void lock_report_text_deadlock(FILE *out, pid_t pid, const struct tl__deadlock *d, bool color);

/* ", N lock-order inversions, N misuse, N deadlocks": the SUMMARY line's tail. */
void lock_report_text_summary(FILE *out, const struct tl__lock_findings *l);

#endif
