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

struct tl__verdict_request {
    enum tl_mode mode;
    unsigned linger_ms;
    pid_t calling_tid;              /* never a leak */
    uint32_t scope;                 /* only this scope's threads; 0 = every thread */
    const uint64_t *ignore_serials; /* sorted; threads alive at a snapshot */
    size_t nignore;
    /* Extra rule, asked once per thread (suppressions, ignore lists). NULL = none. */
    bool (*ignore)(const struct tl__thread_info *t, void *ctx);
    void *ignore_ctx;
};

struct tl__verdict {
    struct tl__thread_info *leaks; /* malloc'd, nleaks entries */
    size_t nleaks;
    unsigned ignored; /* threads the ignore rule took out */
};

/* Never reported, whatever the request: the main thread and tool or sanitizer threads. */
bool verdict_always_excluded(const struct tl__thread_info *t);

/* Is t a leak in this mode, judging only its state? */
bool verdict_state_is_leak(const struct tl__thread_info *t, enum tl_mode mode);

int verdict_run(const struct tl__verdict_request *req, struct tl__verdict *out);
void verdict_free(struct tl__verdict *v);

#endif
