/* The verdict: which threads leaked, after giving running ones a chance to finish.
 *
 * The wait is event-driven: it sleeps on the registry's exit epoch, so it wakes the moment a
 * thread exits, and returns at once when nothing is running. The linger budget is spent only when
 * something really is still running. */
#ifndef THREADLEAK_VERDICT_H
#define THREADLEAK_VERDICT_H

#include "options.h"
#include "thread_record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most filters one verdict takes. */
#define TL_VERDICT_MAX_FILTERS 8

/* A rule that takes threads out of a verdict (suppressions, the test API's ignore lists). It may
 * be expensive (symbolise, dump live stacks), so the verdict asks it at most once per thread, and
 * only for threads that no cheaper rule (exclusion, caller, scope, snapshot) already took out. */
struct tl__verdict_filter {
    const char *name; /* what it is, for readers and tests: "suppressions", ... */
    bool (*ignores)(const struct tl__thread_info *t, void *ctx);
    void *ctx;
};

struct tl__verdict_request {
    enum tl_mode mode;
    unsigned linger_ms;
    pid_t calling_tid;              /* never a leak */
    uint32_t scope;                 /* only this scope's threads; 0 = every thread */
    const uint64_t *ignore_serials; /* sorted; threads alive at a snapshot */
    size_t nignore;
    /* Asked in order; the first that ignores a thread takes it out, and the rest are not asked.
     * At most TL_VERDICT_MAX_FILTERS. */
    const struct tl__verdict_filter *filters;
    size_t nfilters;
};

struct tl__verdict {
    struct tl__thread_info *leaks; /* malloc'd, nleaks entries */
    size_t nleaks;
    unsigned ignored;                            /* threads the filters took out, in all */
    unsigned ignored_by[TL_VERDICT_MAX_FILTERS]; /* of those, how many each filter took out */
};

/* Never reported, whatever the request: the main thread and tool or sanitizer threads. */
bool verdict_always_excluded(const struct tl__thread_info *t);

/* Is t a leak in this mode, judging only its state? */
bool verdict_state_is_leak(const struct tl__thread_info *t, enum tl_mode mode);

/* 0, or -1 when the request holds more than TL_VERDICT_MAX_FILTERS filters (out is then empty). */
int verdict_run(const struct tl__verdict_request *req, struct tl__verdict *out);
void verdict_free(struct tl__verdict *v);

#endif
