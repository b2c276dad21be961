/* The /debug/locks page as JSON (lock_page.h, docs/endpoint.md): "threads" with their holds and
 * waits, "waiters", "edges", then the lock findings' own members (lock_report_json.h). */
#include "lock_page.h"

#include "lock_page_model.h"

#include "json_frame.h"
#include "json_writer.h"
#include "lock_report_json.h"
#include "thread_locks_json.h"

#include <string.h>

static void write_threads(struct tl__json_writer *w, const struct thread_profile *p)
{
    tl__jw_key(w, "threads");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < p->count; i++) {
        const struct thread_profile_thread *t = &p->threads[i];
        if (!t->locks || (!t->locks->nheld && !t->locks->waiting))
            continue;
        tl__jw_begin_object(w);
        tl__jw_member_int(w, "tid", t->tid);
        tl__jw_member_string(w, "name", t->name);
        tl__jw_member_string(w, "state", thread_profile_state_name(t->state));
        thread_locks_write_json(w, p, t);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

static void write_waiters(struct tl__json_writer *w, const struct thread_profile *p)
{
    tl__jw_key(w, "waiters");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < p->count; i++) {
        const struct thread_profile_thread *t = &p->threads[i];
        if (!t->locks || !t->locks->waiting)
            continue;
        tl__jw_begin_object(w);
        tl__jw_member_int(w, "tid", t->tid);
        tl__jw_member_string(w, "name", t->name);
        thread_locks_write_json(w, p, t); /* "holds" too: what the waiter keeps others from */
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

static void write_stack(struct tl__json_writer *w, const struct tl__lock_stack *s)
{
    tl__jw_begin_array(w);
    for (size_t i = 0; s->frames && i < s->depth; i++)
        json_write_frame(w, &s->frames[i], JSON_FRAMES_EXIT_REPORT, NULL);
    tl__jw_end_array(w);
}

static void write_lock(struct tl__json_writer *w, const struct tl__lock_ref *l)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, "address");
    thread_locks_write_address(w, l->address);
    tl__jw_member_string(w, "type", l->type);
    tl__jw_end_object(w);
}

static void write_edge(struct tl__json_writer *w, const struct tl__lock_order_edge *e)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, "from");
    write_lock(w, &e->from);
    tl__jw_key(w, "to");
    write_lock(w, &e->to);
    tl__jw_member_string(w, "held_as", e->held_as);
    tl__jw_member_string(w, "acquired_as", e->acquired_as);
    tl__jw_key(w, "thread");
    tl__jw_begin_object(w);
    tl__jw_member_int(w, "tid", e->thread.tid);
    tl__jw_key(w, "name");
    tl__jw_string_len(w, e->thread.name, strnlen(e->thread.name, TL_NAME_MAX));
    tl__jw_member_string(w, "start_routine", e->thread.start_routine);
    tl__jw_end_object(w);
    tl__jw_key(w, "held_at");
    write_stack(w, &e->held_at);
    tl__jw_key(w, "acquired_at");
    write_stack(w, &e->acquired_at);
    tl__jw_end_object(w);
}

static void write_edges(struct tl__json_writer *w, const struct tl__lock_page *page)
{
    tl__jw_member_uint64(w, "edges_total", page->edges_total);
    tl__jw_key(w, "edges");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < page->nedges; i++)
        write_edge(w, &page->edges[i]);
    tl__jw_end_array(w);
}

int lock_page_write_json(FILE *out, const struct tl__lock_page *page)
{
    const struct thread_profile *p = &page->profile;
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_member_string(&w, "tool", "threadleak");
    tl__jw_member_string(&w, "kind", "locks");
    tl__jw_member_int(&w, "schema", LOCK_PAGE_JSON_SCHEMA);
    tl__jw_member_int(&w, "pid", p->pid);
    tl__jw_member_uint64(&w, "time_unix_ns", p->taken_ns);
    write_threads(&w, p);
    tl__jw_member_uint64(&w, "threads_unknown", lock_page_threads_unknown(page));
    write_waiters(&w, p);
    write_edges(&w, page);
    lock_report_json(&w, page->findings);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w);
}
