/* The verdict. It copies the registry, decides once per thread whether the thread is a candidate
 * (not excluded, not taken out by a filter), then sleeps on exit events while any candidate is
 * still running and the linger budget lasts. Threads that candidates create meanwhile become
 * candidates too. */
#include "verdict.h"

#include "registry.h"
#include "toolbox.h"

#include <stdlib.h>
#include <string.h>

/* A decision made once per thread serial, so that filters (which may symbolise) run once. */
struct decision {
    uint64_t serial;
    bool candidate;
};

struct decisions {
    struct decision *items; /* sorted by serial */
    size_t count, cap;
};

bool verdict_always_excluded(const struct tl__thread_info *t)
{
    return (t->flags & (TL_F_MAIN | TL_F_TOOL)) != 0;
}

bool verdict_state_is_leak(const struct tl__thread_info *t, enum tl_mode mode)
{
    if (t->flags & TL_F_JOINED)
        return false;
    bool exited = (t->flags & TL_F_EXITED) != 0;
    bool detached = (t->flags & TL_F_DETACHED) != 0;
    if (mode == TL_MODE_TSAN)
        return exited && !detached;
    return !exited || !detached;
}

static bool serial_in(const uint64_t *sorted, size_t n, uint64_t serial)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] == serial)
            return true;
        if (sorted[mid] < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static struct decision *decision_find(struct decisions *d, uint64_t serial, size_t *insert_at)
{
    size_t lo = 0, hi = d->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->items[mid].serial == serial)
            return &d->items[mid];
        if (d->items[mid].serial < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    *insert_at = lo;
    return NULL;
}

static bool decision_insert(struct decisions *d, size_t at, struct decision value)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct decision *grown = realloc(d->items, cap * sizeof *grown);
        if (!grown)
            return false;
        d->items = grown;
        d->cap = cap;
    }
    memmove(&d->items[at + 1], &d->items[at], (d->count - at) * sizeof *d->items);
    d->items[at] = value;
    d->count++;
    return true;
}

/* The rules that cost nothing: no need to remember their answers. */
static bool cheaply_excluded(const struct tl__verdict_request *req, const struct tl__thread_info *t)
{
    if (verdict_always_excluded(t))
        return true;
    /* The caller is excluded while it runs. A caller whose routine already finished is the last
     * thread that libc ends the process from after main called pthread_exit: never joined. */
    if (t->tid == req->calling_tid && !(t->flags & TL_F_EXITED))
        return true;
    if (req->scope && t->scope != req->scope)
        return true;
    return req->nignore && serial_in(req->ignore_serials, req->nignore, t->serial);
}

/* The index of the first filter that ignores t, or nfilters when none does. */
static size_t first_filter_ignoring(const struct tl__verdict_request *req,
                                    const struct tl__thread_info *t)
{
    size_t i = 0;
    while (i < req->nfilters && !req->filters[i].ignores(t, req->filters[i].ctx))
        i++;
    return i;
}

/* Only the filters may be expensive (they may symbolise), so only their answers are remembered,
 * once per thread serial. */
static bool is_candidate(const struct tl__verdict_request *req, struct decisions *d,
                         const struct tl__thread_info *t, struct tl__verdict *out)
{
    if (cheaply_excluded(req, t))
        return false;
    if (req->nfilters == 0)
        return true;
    size_t at = 0;
    struct decision *known = decision_find(d, t->serial, &at);
    if (known)
        return known->candidate;
    size_t by = first_filter_ignoring(req, t);
    struct decision fresh = {t->serial, by == req->nfilters};
    if (!fresh.candidate) {
        out->ignored++;
        out->ignored_by[by]++;
    }
    decision_insert(d, at, fresh);
    return fresh.candidate;
}

/* Copies the registry into *buf (grown as needed); returns the number of threads. */
static size_t snapshot_registry(struct tl__thread_info **buf, size_t *cap)
{
    size_t want = registry_threads_live() + 16;
    for (;;) {
        if (want > *cap) {
            struct tl__thread_info *grown = realloc(*buf, want * sizeof *grown);
            if (!grown) {
                size_t n = registry_copy_all(*buf, *cap);
                return n < *cap ? n : *cap;
            }
            *buf = grown;
            *cap = want;
        }
        size_t n = registry_copy_all(*buf, *cap);
        if (n <= *cap)
            return n;
        want = n + n / 4 + 16;
    }
}

static size_t count_running_candidates(const struct tl__verdict_request *req, struct decisions *d,
                                       const struct tl__thread_info *all, size_t n,
                                       struct tl__verdict *out)
{
    size_t running = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_candidate(req, d, &all[i], out))
            continue;
        if (all[i].flags & (TL_F_EXITED | TL_F_JOINED))
            continue;
        /* A detached thread can never become a TSan-style leak: no point waiting for it. */
        if (req->mode == TL_MODE_TSAN && (all[i].flags & TL_F_DETACHED))
            continue;
        running++;
    }
    return running;
}

int verdict_run(const struct tl__verdict_request *req, struct tl__verdict *out)
{
    memset(out, 0, sizeof *out);
    if (req->nfilters > TL_VERDICT_MAX_FILTERS)
        return -1;
    struct decisions d = {0};
    struct tl__thread_info *all = NULL;
    size_t cap = 0, n = 0;
    uint64_t deadline = tl__monotonic_ns() + (uint64_t)req->linger_ms * 1000000u;
    bool out_of_time = false;
    for (;;) {
        /* Read the epoch before looking, so an exit between the look and the wait wakes us. */
        uint32_t epoch = registry_exit_epoch();
        n = snapshot_registry(&all, &cap);
        if (out_of_time || count_running_candidates(req, &d, all, n, out) == 0)
            break;
        out_of_time = !registry_wait_exit(epoch, deadline);
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_candidate(req, &d, &all[i], out) && verdict_state_is_leak(&all[i], req->mode))
            all[kept++] = all[i];
    }
    free(d.items);
    if (kept == 0) {
        free(all);
        return 0;
    }
    out->leaks = all;
    out->nleaks = kept;
    return 0;
}

void verdict_free(struct tl__verdict *v)
{
    free(v->leaks);
    memset(v, 0, sizeof *v);
}
