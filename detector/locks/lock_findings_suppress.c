/* Suppressions for lock findings (lock_findings_suppress in lock_findings.h): the default lock
 * entries, then the suppressions= file's `deadlock:` and `mutex:` entries, each finding matched by
 * its stacks, as ThreadSanitizer matches its own deadlock and mutex reports. Runs at report time
 * only: it allocates and symbolises nothing, the findings are symbolised already. */
#include "lock_findings.h"

#include "default_suppressions.h"
#include "suppressions.h"

#include <stdlib.h>

/* TSan's report types for these findings (tsan_suppressions.cpp: ReportTypeDeadlock is
 * "deadlock", the mutex misuse reports are "mutex"). */
#define INVERSION_TYPE "deadlock"
#define MISUSE_TYPE    "mutex"

static bool cycle_in_file(struct tl__suppressions *file, const struct tl__lock_order_cycle *c)
{
    for (size_t i = 0; i < c->nedges; i++) {
        const struct tl__lock_order_edge *e = &c->edges[i];
        if (suppressions_match_stack(file, INVERSION_TYPE, e->acquired_at.frames,
                                     e->acquired_at.depth) ||
            suppressions_match_stack(file, INVERSION_TYPE, e->held_at.frames, e->held_at.depth))
            return true;
    }
    return false;
}

static void free_cycle(struct tl__lock_order_cycle *c)
{
    for (size_t i = 0; i < c->nedges; i++) {
        free(c->edges[i].held_at.frames);
        free(c->edges[i].acquired_at.frames);
    }
    free(c->locks);
    free(c->edges);
}

/* Default entries name misuse kinds only: no runtime seen so far makes an inversion on purpose. */
static void suppress_cycles(struct tl__lock_findings *f, struct tl__suppressions *file)
{
    size_t kept = 0;
    for (size_t i = 0; i < f->ncycles; i++) {
        if (file && cycle_in_file(file, &f->cycles[i])) {
            free_cycle(&f->cycles[i]);
            f->suppressed++;
            continue;
        }
        f->cycles[kept++] = f->cycles[i];
    }
    f->ncycles = kept;
}

/* Counted in findings, as the report counts them: one per misuse group, one per cycle. */
static void suppress_misuse(struct tl__lock_findings *f, struct tl__suppressions *file,
                            bool defaults)
{
    size_t kept = 0;
    for (size_t i = 0; i < f->nmisuse; i++) {
        struct tl__lock_misuse *m = &f->misuse[i];
        if (defaults &&
            default_lock_suppressions_match(m->kind, m->stack.frames, m->stack.depth) >= 0) {
            f->suppressed_by_default++;
            free(m->stack.frames);
            continue;
        }
        if (file && suppressions_match_stack(file, MISUSE_TYPE, m->stack.frames, m->stack.depth)) {
            f->suppressed++;
            free(m->stack.frames);
            continue;
        }
        f->misuse[kept++] = *m;
    }
    f->nmisuse = kept;
}

void lock_findings_suppress(struct tl__lock_findings *f, struct tl__suppressions *file,
                            bool defaults)
{
    if (!f)
        return;
    suppress_cycles(f, file);
    suppress_misuse(f, file, defaults);
}
