/* From the graph and the event stores to findings (lock_findings.h): copy, then symbolise. */
#include "lock_findings.h"

#include "findings.h"
#include "lock_events.h"
#include "lock_order.h"
#include "lock_table.h"
#include "symbolize.h"
#include "thread_locks.h"

#include <stdlib.h>
#include <string.h>

/* The lock table's types are thread_locks.h's (shim/locks/lock_views.c checks that they agree):
 * one set of names for findings and dumps. */
static const char *type_name(uint8_t type)
{
    return tl__thread_lock_type_name(type);
}

static struct tl__lock_ref lock_ref(uintptr_t addr, uint8_t type)
{
    return (struct tl__lock_ref){addr, type_name(type)};
}

/* pcs are return addresses (the callers of the lock functions), as captures give them. */
static struct tl__lock_stack symbolised(void *const *pcs, size_t n)
{
    struct tl__lock_stack s = {0};
    if (n == 0)
        return s;
    size_t cap = n * 4; /* room for inlined frames */
    s.frames = calloc(cap, sizeof *s.frames);
    if (s.frames)
        s.depth = symbolize_frames_inlined(pcs, n, true, s.frames, cap);
    return s;
}

static struct tl__lock_thread_ref thread_ref(const struct tl__lock_actor *a)
{
    struct tl__lock_thread_ref t = {.tid = a->tid};
    memcpy(t.name, a->name, TL_NAME_MAX);
    t.name[TL_NAME_MAX - 1] = '\0';
    t.start_routine = a->start_routine ? findings_start_routine(a->start_routine) : NULL;
    return t;
}

static void build_edge(struct tl__lock_order_edge *out, const struct tl__order_edge *e)
{
    out->from = lock_ref(e->from_addr, e->from_type);
    out->to = lock_ref(e->to_addr, e->to_type);
    out->held_as = e->held_read ? "read" : "write";
    out->acquired_as = e->acquired_read ? "read" : "write";
    struct tl__lock_actor actor = {.tid = e->site.tid, .start_routine = e->site.start_routine};
    memcpy(actor.name, e->site.thread_name, TL_NAME_MAX);
    out->thread = thread_ref(&actor);
    out->acquired_at = symbolised(e->site.frames, e->site.nframes);
    /* H's acquisition: its call site, then, when it was made from the same frame as L's, the
     * callers L's stack shows (lock_order.h). */
    void *held[TL_ORDER_STACK_DEPTH];
    size_t n = 0;
    held[n++] = (void *)e->site.held_pc;
    for (size_t i = 1; e->site.held_same_frame && i < e->site.nframes; i++)
        held[n++] = e->site.frames[i];
    out->held_at = symbolised(held, e->site.held_pc ? n : 0);
}

void lock_findings_edge(struct tl__lock_order_edge *out, const struct tl__order_edge *e)
{
    build_edge(out, e);
}

static bool build_cycles(struct tl__lock_findings *f, size_t first)
{
    struct tl__order_cycle cycles[TL_ORDER_MAX_CYCLES];
    size_t n = lock_order_cycles(cycles, TL_ORDER_MAX_CYCLES);
    if (n <= first)
        return true;
    f->cycles = calloc(n - first, sizeof *f->cycles);
    if (!f->cycles)
        return false;
    for (size_t i = first; i < n; i++) {
        struct tl__lock_order_cycle *c = &f->cycles[f->ncycles++];
        c->locks = calloc(cycles[i].nedges, sizeof *c->locks);
        c->edges = calloc(cycles[i].nedges, sizeof *c->edges);
        if (!c->locks || !c->edges)
            return false;
        for (uint32_t j = 0; j < cycles[i].nedges; j++) {
            struct tl__order_edge e;
            if (!lock_order_edge(cycles[i].edges[j], &e))
                continue;
            build_edge(&c->edges[c->nedges++], &e);
            c->locks[c->nlocks++] = lock_ref(e.from_addr, e.from_type);
        }
    }
    return true;
}

/* The times group i counted up since the mark; all of them without one. */
static uint32_t count_since(const struct tl__misuse_record *r, size_t i,
                            const struct tl__lock_mark *since)
{
    if (!since || i >= since->misuse_groups)
        return r->count;
    return r->count - since->misuse_counts[i];
}

/* The records are copied into the heap: the test API may build findings in several threads at
 * once, and the exit report while they do. */
static bool build_misuse(struct tl__lock_findings *f, const struct tl__lock_mark *since)
{
    struct tl__misuse_record *records = malloc(TL_MISUSE_MAX * sizeof *records);
    if (!records)
        return false;
    size_t n = lock_misuse_copy(records, TL_MISUSE_MAX);
    f->misuse = n ? calloc(n, sizeof *f->misuse) : NULL;
    if (n && !f->misuse) {
        free(records);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const struct tl__misuse_record *r = &records[i];
        uint32_t count = count_since(r, i, since);
        if (count == 0)
            continue;
        struct tl__lock_misuse *m = &f->misuse[f->nmisuse++];
        m->kind = misuse_kind_name(r->kind);
        m->count = count;
        m->thread = thread_ref(&r->thread);
        m->stack = symbolised(r->frames, r->nframes);
        m->lock = lock_ref(r->lock_addr, r->lock_type);
        m->other = lock_ref(
            r->other_addr,
            r->other_addr ? r->lock_type == TL_LOCK_COND ? TL_LOCK_MUTEX : r->lock_type : 0);
    }
    free(records);
    return true;
}

static bool build_deadlocked_thread(struct tl__deadlocked_thread *t,
                                    const struct tl__deadlock_thread *r)
{
    t->thread = thread_ref(&r->thread);
    t->created_at = symbolised(r->created, r->ncreated);
    t->stack = symbolised(r->frames, r->nframes);
    t->waits_for = lock_ref(r->waits_for.addr, r->waits_for.type);
    t->waits_for_owner = r->waits_for_owner;
    t->waits_for_mutex = r->waits_for_mutex;
    if (r->nholds == 0)
        return true;
    t->holds = calloc(r->nholds, sizeof *t->holds);
    if (!t->holds)
        return false;
    for (uint8_t i = 0; i < r->nholds; i++) {
        t->holds[i].lock = lock_ref(r->holds[i].addr, r->holds[i].type);
        void *pc = (void *)r->holds[i].pc;
        t->holds[i].taken_at = symbolised(&pc, pc ? 1 : 0);
    }
    t->nholds = r->nholds;
    return true;
}

static bool build_deadlock(struct tl__deadlock *d, const struct tl__deadlock_record *r)
{
    d->kind = deadlock_kind_name(r->kind);
    d->threads = calloc(r->nthreads, sizeof *d->threads);
    if (!d->threads)
        return false;
    d->omitted = r->omitted;
    for (uint8_t j = 0; j < r->nthreads; j++)
        if (!build_deadlocked_thread(&d->threads[d->nthreads++], &r->threads[j]))
            return false;
    return true;
}

static bool build_deadlocks(struct tl__lock_findings *f, size_t first)
{
    struct tl__deadlock_record *records = malloc(TL_DEADLOCK_MAX * sizeof *records);
    if (!records)
        return false;
    size_t n = lock_deadlock_copy(records, TL_DEADLOCK_MAX);
    bool ok = true;
    if (n > first) {
        f->deadlocks = calloc(n - first, sizeof *f->deadlocks);
        ok = f->deadlocks != NULL;
    }
    for (size_t i = first; ok && i < n; i++)
        ok = build_deadlock(&f->deadlocks[f->ndeadlocks++], &records[i]);
    free(records);
    return ok;
}

void lock_findings_mark(struct tl__lock_mark *m)
{
    memset(m, 0, sizeof *m);
    struct tl__misuse_record *records = malloc(TL_MISUSE_MAX * sizeof *records);
    struct tl__deadlock_record *deadlocks = malloc(TL_DEADLOCK_MAX * sizeof *deadlocks);
    struct tl__order_cycle cycles[TL_ORDER_MAX_CYCLES];
    if (records) {
        m->misuse_groups = (uint32_t)lock_misuse_copy(records, TL_MISUSE_MAX);
        for (uint32_t i = 0; i < m->misuse_groups; i++)
            m->misuse_counts[i] = records[i].count;
    }
    if (deadlocks)
        m->deadlocks = (uint32_t)lock_deadlock_copy(deadlocks, TL_DEADLOCK_MAX);
    m->cycles = (uint32_t)lock_order_cycles(cycles, TL_ORDER_MAX_CYCLES);
    free(records);
    free(deadlocks);
}

struct tl__lock_findings *lock_findings_build(void)
{
    return lock_findings_build_since(NULL);
}

struct tl__lock_findings *lock_findings_build_since(const struct tl__lock_mark *since)
{
    struct tl__lock_findings *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (!build_deadlocks(f, since ? since->deadlocks : 0) ||
        !build_cycles(f, since ? since->cycles : 0) || !build_misuse(f, since)) {
        lock_findings_free(f);
        return NULL;
    }
    struct tl__lock_table_stats ts = lock_table_stats();
    struct tl__order_stats os = lock_order_stats();
    f->locks_tracked = ts.tracked;
    f->locks_not_tracked = ts.not_tracked;
    f->edges = os.edges;
    f->edges_not_tracked = os.edges_not_tracked;
    f->cycles_not_recorded = os.cycles_not_recorded;
    f->events_dropped = lock_events_dropped();
    f->cycles_dissolved = lock_cycles_dissolved();
    return f;
}

size_t lock_findings_count(const struct tl__lock_findings *f)
{
    return f ? f->ndeadlocks + f->ncycles + f->nmisuse : 0;
}

static void free_stack(struct tl__lock_stack *s)
{
    free(s->frames);
}

void lock_findings_edge_free(struct tl__lock_order_edge *e)
{
    free_stack(&e->held_at);
    free_stack(&e->acquired_at);
}

void lock_findings_free(struct tl__lock_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ndeadlocks; i++) {
        for (size_t j = 0; j < f->deadlocks[i].nthreads; j++) {
            struct tl__deadlocked_thread *t = &f->deadlocks[i].threads[j];
            free_stack(&t->created_at);
            free_stack(&t->stack);
            for (size_t k = 0; k < t->nholds; k++)
                free_stack(&t->holds[k].taken_at);
            free(t->holds);
        }
        free(f->deadlocks[i].threads);
    }
    free(f->deadlocks);
    for (size_t i = 0; i < f->ncycles; i++) {
        for (size_t j = 0; j < f->cycles[i].nedges; j++) {
            free_stack(&f->cycles[i].edges[j].held_at);
            free_stack(&f->cycles[i].edges[j].acquired_at);
        }
        free(f->cycles[i].locks);
        free(f->cycles[i].edges);
    }
    free(f->cycles);
    for (size_t i = 0; i < f->nmisuse; i++)
        free_stack(&f->misuse[i].stack);
    free(f->misuse);
    free(f);
}
