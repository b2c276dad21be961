/* The /debug/locks page as text (lock_page.h): per thread its locks, then who waits for whom,
 * the order graph's edges, the findings in the text report's blocks, and the counters. */
#include "lock_page.h"

#include "lock_page_model.h"

#include "lock_report_text.h"
#include "profile_format.h"
#include "thread_locks_text.h"

#include <inttypes.h>
#include <string.h>

static bool has_locks(const struct thread_profile_thread *t)
{
    return t->locks && (t->locks->nheld || t->locks->waiting || t->locks->overflow);
}

size_t lock_page_threads_unknown(const struct tl__lock_page *page)
{
    size_t n = 0;
    for (size_t i = 0; i < page->profile.count; i++)
        if (!page->profile.threads[i].locks &&
            page->profile.threads[i].state != THREAD_PROFILE_EXITED_UNJOINED)
            n++;
    return n;
}

static void write_thread_name(FILE *out, const struct thread_profile_thread *t)
{
    fprintf(out, "thread %d ", (int)t->tid);
    profile_write_quoted(out, t->name);
}

static void write_held(FILE *out, const struct thread_profile *p)
{
    fputs("held locks and waits, by thread:\n", out);
    size_t shown = 0;
    for (size_t i = 0; i < p->count; i++) {
        const struct thread_profile_thread *t = &p->threads[i];
        if (!has_locks(t))
            continue;
        char state[PROFILE_TEXT_MAX + 64];
        profile_state_with_duration(t, state, sizeof state);
        write_thread_name(out, t);
        fprintf(out, " [%s]:\n", state);
        thread_locks_write_text(out, p, t, "\t");
        shown++;
    }
    if (!shown)
        fputs("(no thread holds a lock or waits)\n", out);
}

static void write_waiters(FILE *out, const struct thread_profile *p)
{
    fputs("\nwaiters:\n", out);
    size_t shown = 0;
    for (size_t i = 0; i < p->count; i++) {
        const struct thread_profile_thread *t = &p->threads[i];
        if (!t->locks || !t->locks->waiting)
            continue;
        write_thread_name(out, t);
        fputs(" waits for ", out);
        thread_lock_write_ref(out, &t->locks->waits_for);
        thread_lock_write_wait_target(out, p, t->locks);
        thread_lock_write_site(out, p, &t->locks->waits_for);
        putc('\n', out);
        shown++;
    }
    if (!shown)
        fputs("(none)\n", out);
}

/* The first frame of a stack: "file:line", else the function, else "0x55d0... (module)". */
static void write_top(FILE *out, const struct tl__lock_stack *s)
{
    if (!s->frames || s->depth == 0) {
        fputs("??", out);
        return;
    }
    const struct tl__frame *f = &s->frames[0];
    if (f->file)
        fprintf(out, "%s:%d", f->file, f->line);
    else if (f->function && strcmp(f->function, "??") != 0)
        fputs(f->function, out);
    else
        fprintf(out, "0x%" PRIxPTR " (%s)", f->pc, f->module ? f->module : "??");
}

static void write_edges(FILE *out, const struct tl__lock_page *page)
{
    fprintf(out, "\nlock-order graph: %" PRIu64 " %s (H -> L: L taken while H held)\n",
            page->edges_total, page->edges_total == 1 ? "edge" : "edges");
    for (size_t i = 0; i < page->nedges; i++) {
        const struct tl__lock_order_edge *e = &page->edges[i];
        fprintf(out, "%s 0x%" PRIxPTR " (%s) -> %s 0x%" PRIxPTR " (%s), first by thread %d ",
                e->from.type, e->from.address, e->held_as, e->to.type, e->to.address,
                e->acquired_as, (int)e->thread.tid);
        profile_write_quoted(out, e->thread.name);
        fputs(": held at ", out);
        write_top(out, &e->held_at);
        fputs(", taken at ", out);
        write_top(out, &e->acquired_at);
        putc('\n', out);
    }
    if (page->nedges < page->edges_total)
        fprintf(out, "(%" PRIu64 " more not listed)\n", page->edges_total - page->nedges);
}

static void write_stats(FILE *out, const struct tl__lock_findings *f)
{
    fprintf(out,
            "\nlock_stats: locks_tracked %" PRIu64 ", locks_not_tracked %" PRIu64 ", edges %" PRIu64
            ", edges_not_tracked %" PRIu64 ", cycles_not_recorded %" PRIu64
            ", events_dropped %" PRIu64 ", cycles_dissolved %" PRIu64 "\n",
            f->locks_tracked, f->locks_not_tracked, f->edges, f->edges_not_tracked,
            f->cycles_not_recorded, f->events_dropped, f->cycles_dissolved);
}

int lock_page_write_text(FILE *out, const struct tl__lock_page *page)
{
    const struct thread_profile *p = &page->profile;
    const struct tl__lock_findings *f = page->findings;
    fprintf(out,
            "threadleak locks: pid %d, %zu threads; %zu deadlocks, %zu lock-order cycles, %zu "
            "misuse\n\n",
            (int)p->pid, p->count, f->ndeadlocks, f->ncycles, f->nmisuse);
    write_held(out, p);
    size_t unknown = lock_page_threads_unknown(page);
    if (unknown)
        fprintf(out,
                "(%zu %s not interrupted by the dump, in calls a signal would end early: "
                "their locks are not shown)\n",
                unknown, unknown == 1 ? "thread was" : "threads were");
    write_waiters(out, p);
    write_edges(out, page);
    fputs("\ndeadlocks, lock-order cycles and misuse found so far:\n", out);
    if (!lock_report_text(out, p->pid, f, false))
        fputs("(none)\n", out);
    write_stats(out, f);
    return ferror(out) ? -1 : 0;
}
