/* tl_snapshot: the serials of the threads alive at one moment, sorted, for the verdict's
 * ignore_serials (which it binary-searches). */
#include "test_api_internal.h"

#include "locks_hooks.h"
#include "registry.h"
#include "shim_init.h"
#include "shim_state.h"

#include <stdlib.h>

static int compare_serials(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

/* Copies the registry into a buffer big enough for all of it; NULL when memory ran out. */
static struct tl__thread_info *copy_registry(size_t *count)
{
    struct tl__thread_info *all = NULL;
    size_t cap = 0;
    for (;;) {
        size_t n = registry_copy_all(all, cap);
        if (n <= cap) {
            *count = n;
            return all;
        }
        /* Threads may be created between the two copies: leave some room. */
        cap = n + n / 4 + 16;
        struct tl__thread_info *grown = realloc(all, cap * sizeof *grown);
        if (!grown) {
            free(all);
            return NULL;
        }
        all = grown;
    }
}

static bool alive(const struct tl__thread_info *t)
{
    return (t->flags & TL_F_JOINED) == 0;
}

THREADLEAK_API tl_snapshot *tl_snapshot_take(void)
{
    shim_init();
    /* The lock mark first: a lock finding made while the snapshot is taken counts as later. */
    struct tl__lock_mark *mark = locks_mark_take();
    size_t n = 0;
    struct tl__thread_info *all = copy_registry(&n);
    tl_snapshot *s = all || n == 0 ? malloc(sizeof *s + n * sizeof s->serials[0]) : NULL;
    if (!s) {
        free(all);
        free(mark);
        return NULL;
    }
    s->count = 0;
    s->locks = mark;
    for (size_t i = 0; i < n; i++) {
        if (alive(&all[i]))
            s->serials[s->count++] = all[i].serial;
    }
    free(all);
    /* The registry walks pool slots, which are recycled out of serial order. */
    qsort(s->serials, s->count, sizeof s->serials[0], compare_serials);
    return s;
}

THREADLEAK_API size_t tl_snapshot_count(const tl_snapshot *s)
{
    return s ? s->count : 0;
}

THREADLEAK_API void tl_snapshot_free(tl_snapshot *s)
{
    if (s)
        free(s->locks);
    free(s);
}
