/* Lock findings to the text report (lock_report_text.h). */
#include "lock_report_text.h"

#include "text_report.h"

#include <inttypes.h>
#include <string.h>

static const char *plural(unsigned long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void put_lock(FILE *out, const struct tl__lock_ref *l)
{
    fprintf(out, "%s 0x%" PRIxPTR, l->type, l->address);
}

static void put_thread(FILE *out, const struct tl__lock_thread_ref *t)
{
    fprintf(out, "thread %ld", (long)t->tid);
    text_report_name(out, t->name);
    if (t->start_routine) {
        fputs(" (start routine ", out);
        text_report_put(out, t->start_routine);
        fputc(')', out);
    }
}

static void put_stack(FILE *out, bool color, const struct tl__lock_stack *s)
{
    text_report_stack(out, color, s->frames, s->depth);
}

static bool is_type(const struct tl__lock_ref *l, const char *type)
{
    return strcmp(l->type, type) == 0;
}

/* " waits to lock mutex 0x… held by thread 12:", " joins thread 12 (pthread_t 0x…):", ... */
static void put_waits_for(FILE *out, const struct tl__deadlocked_thread *t)
{
    const struct tl__lock_ref *l = &t->waits_for;
    if (is_type(l, "thread")) {
        fprintf(out, " joins thread %ld (pthread_t 0x%" PRIxPTR "):\n", (long)t->waits_for_owner,
                l->address);
        return;
    }
    if (is_type(l, "cond")) {
        fprintf(out, " waits on cond 0x%" PRIxPTR " with mutex 0x%" PRIxPTR ":\n", l->address,
                t->waits_for_mutex);
        return;
    }
    if (is_type(l, "barrier") || is_type(l, "semaphore")) {
        fputs(" waits at ", out);
        put_lock(out, l);
        fputs(":\n", out);
        return;
    }
    fputs(" waits to lock ", out);
    put_lock(out, l);
    fprintf(out, " held by thread %ld%s:\n", (long)t->waits_for_owner,
            t->waits_for_owner == t->thread.tid ? " (itself)" : "");
}

void lock_report_text_deadlock(FILE *out, pid_t pid, const struct tl__deadlock *d, bool color)
{
    if (strcmp(d->kind, "all_asleep") == 0)
        fprintf(out, "==%ld== threadleak: all threads are asleep - deadlock! (all_asleep) %zu %s",
                (long)pid, d->nthreads + d->omitted,
                plural(d->nthreads + d->omitted, "thread", "threads"));
    else
        fprintf(out, "==%ld== threadleak: deadlock (%s) of %zu %s", (long)pid, d->kind, d->nthreads,
                plural(d->nthreads, "thread", "threads"));
    if (d->omitted)
        fprintf(out, ", %zu not shown", d->omitted);
    fputc('\n', out);
    for (size_t i = 0; i < d->nthreads; i++) {
        const struct tl__deadlocked_thread *t = &d->threads[i];
        fputs("  ", out);
        put_thread(out, &t->thread);
        put_waits_for(out, t);
        put_stack(out, color, &t->stack);
        for (size_t j = 0; j < t->nholds; j++) {
            fputs("  holding ", out);
            put_lock(out, &t->holds[j].lock);
            fputs(", taken at:\n", out);
            put_stack(out, color, &t->holds[j].taken_at);
        }
        if (t->created_at.depth) {
            fputs("  thread created at:\n", out);
            put_stack(out, color, &t->created_at);
        }
    }
}

static void write_cycle(FILE *out, pid_t pid, const struct tl__lock_order_cycle *c, bool color)
{
    fprintf(out, "==%ld== threadleak: lock-order inversion (potential deadlock) of %zu locks:",
            (long)pid, c->nlocks);
    for (size_t i = 0; i < c->nlocks; i++) {
        fputs(i ? " -> " : " ", out);
        put_lock(out, &c->locks[i]);
    }
    if (c->nlocks)
        fputs(" -> ", out), put_lock(out, &c->locks[0]);
    fputc('\n', out);
    for (size_t i = 0; i < c->nedges; i++) {
        const struct tl__lock_order_edge *e = &c->edges[i];
        fputs("  ", out);
        put_lock(out, &e->to);
        fprintf(out, " acquired (%s) here while holding ", e->acquired_as);
        put_lock(out, &e->from);
        fputs(", by ", out);
        put_thread(out, &e->thread);
        fputs(":\n", out);
        put_stack(out, color, &e->acquired_at);
        fputs("  ", out);
        put_lock(out, &e->from);
        fprintf(out, " taken (%s) by the same thread here:\n", e->held_as);
        put_stack(out, color, &e->held_at);
    }
}

static void write_misuse(FILE *out, pid_t pid, const struct tl__lock_misuse *m, bool color)
{
    fprintf(out, "==%ld== threadleak: pthread misuse (%s) of ", (long)pid, m->kind);
    put_lock(out, &m->lock);
    if (m->other.address) {
        fputs(" with ", out);
        put_lock(out, &m->other);
    }
    fprintf(out, ", %u %s, first by ", m->count, plural(m->count, "time", "times"));
    put_thread(out, &m->thread);
    fputs(":\n", out);
    put_stack(out, color, &m->stack);
}

bool lock_report_text(FILE *out, pid_t pid, const struct tl__lock_findings *l, bool color)
{
    bool wrote = false;
    for (size_t i = 0; i < l->ndeadlocks; i++, wrote = true) {
        fputs(wrote ? "\n" : "", out);
        lock_report_text_deadlock(out, pid, &l->deadlocks[i], color);
    }
    for (size_t i = 0; i < l->ncycles; i++, wrote = true) {
        fputs(wrote ? "\n" : "", out);
        write_cycle(out, pid, &l->cycles[i], color);
    }
    for (size_t i = 0; i < l->nmisuse; i++, wrote = true) {
        fputs(wrote ? "\n" : "", out);
        write_misuse(out, pid, &l->misuse[i], color);
    }
    if (l->locks_not_tracked || l->edges_not_tracked || l->cycles_not_recorded ||
        l->events_dropped) {
        fputs(wrote ? "\n" : "", out);
        fprintf(out,
                "==%ld== threadleak: lock checking was bounded: %" PRIu64
                " calls on locks not tracked, %" PRIu64 " edges not tracked, %" PRIu64
                " cycles and %" PRIu64 " events not recorded\n",
                (long)pid, l->locks_not_tracked, l->edges_not_tracked, l->cycles_not_recorded,
                l->events_dropped);
        wrote = true;
    }
    return wrote;
}

void lock_report_text_summary(FILE *out, const struct tl__lock_findings *l)
{
    fprintf(out, ", %zu lock-order %s, %zu misuse, %zu %s", l->ncycles,
            plural(l->ncycles, "inversion", "inversions"), l->nmisuse, l->ndeadlocks,
            plural(l->ndeadlocks, "deadlock", "deadlocks"));
}
