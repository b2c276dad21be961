/* Lock findings to JSON (lock_report_json.h). Locks are named by address, as a hex string. */
#include "lock_report_json.h"

#include "json_frame.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void write_address(struct tl__json_writer *w, uintptr_t address)
{
    char text[2 + 16 + 1];
    snprintf(text, sizeof text, "0x%" PRIxPTR, address);
    tl__jw_string(w, text);
}

static void write_stack(struct tl__json_writer *w, const struct tl__lock_stack *s)
{
    tl__jw_begin_array(w);
    for (size_t i = 0; s->frames != NULL && i < s->depth; i++)
        json_write_frame(w, &s->frames[i], JSON_FRAMES_EXIT_REPORT, NULL);
    tl__jw_end_array(w);
}

static void write_lock(struct tl__json_writer *w, const struct tl__lock_ref *l)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, "address");
    write_address(w, l->address);
    tl__jw_member_string(w, "type", l->type);
    tl__jw_end_object(w);
}

/* tid, name and start_routine, as members of the object under way. */
static void write_thread_members(struct tl__json_writer *w, const struct tl__lock_thread_ref *t)
{
    tl__jw_member_int(w, "tid", t->tid);
    tl__jw_key(w, "name");
    tl__jw_string_len(w, t->name, strnlen(t->name, TL_NAME_MAX));
    tl__jw_member_string(w, "start_routine", t->start_routine);
}

static void write_thread(struct tl__json_writer *w, const struct tl__lock_thread_ref *t)
{
    tl__jw_begin_object(w);
    write_thread_members(w, t);
    tl__jw_end_object(w);
}

static bool is_type(const struct tl__lock_ref *l, const char *type)
{
    return strcmp(l->type, type) == 0;
}

/* What the thread waits for: a lock and its holder, a thread (the pthread_t as an address, and
 * its tid), a condition variable and its mutex, a barrier or a semaphore. */
static void write_waits_for(struct tl__json_writer *w, const struct tl__deadlocked_thread *t)
{
    const struct tl__lock_ref *l = &t->waits_for;
    tl__jw_begin_object(w);
    tl__jw_key(w, "address");
    write_address(w, l->address);
    tl__jw_member_string(w, "type", l->type);
    if (is_type(l, "thread")) {
        tl__jw_member_int(w, "tid", t->waits_for_owner);
    } else if (is_type(l, "cond")) {
        tl__jw_key(w, "mutex");
        write_address(w, t->waits_for_mutex);
    } else if (!is_type(l, "barrier") && !is_type(l, "semaphore")) {
        tl__jw_member_int(w, "held_by", t->waits_for_owner);
    }
    tl__jw_end_object(w);
}

static void write_deadlocked_thread(struct tl__json_writer *w,
                                    const struct tl__deadlocked_thread *t)
{
    tl__jw_begin_object(w);
    write_thread_members(w, &t->thread);
    tl__jw_key(w, "created_at");
    write_stack(w, &t->created_at);
    tl__jw_key(w, "stack");
    write_stack(w, &t->stack);
    tl__jw_key(w, "waits_for");
    write_waits_for(w, t);
    tl__jw_key(w, "holds");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < t->nholds; i++) {
        tl__jw_begin_object(w);
        tl__jw_key(w, "address");
        write_address(w, t->holds[i].lock.address);
        tl__jw_member_string(w, "type", t->holds[i].lock.type);
        tl__jw_key(w, "taken_at");
        write_stack(w, &t->holds[i].taken_at);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
    tl__jw_end_object(w);
}

static void write_deadlocks(struct tl__json_writer *w, const struct tl__lock_findings *l)
{
    tl__jw_key(w, "deadlocks");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < l->ndeadlocks; i++) {
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "kind", l->deadlocks[i].kind);
        if (l->deadlocks[i].omitted)
            tl__jw_member_int(w, "threads_omitted", (int64_t)l->deadlocks[i].omitted);
        tl__jw_key(w, "threads");
        tl__jw_begin_array(w);
        for (size_t j = 0; j < l->deadlocks[i].nthreads; j++)
            write_deadlocked_thread(w, &l->deadlocks[i].threads[j]);
        tl__jw_end_array(w);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

static void write_edge(struct tl__json_writer *w, const struct tl__lock_order_edge *e)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, "from");
    write_address(w, e->from.address);
    tl__jw_key(w, "to");
    write_address(w, e->to.address);
    tl__jw_member_string(w, "held_as", e->held_as);
    tl__jw_member_string(w, "acquired_as", e->acquired_as);
    tl__jw_key(w, "thread");
    write_thread(w, &e->thread);
    tl__jw_key(w, "held_at");
    write_stack(w, &e->held_at);
    tl__jw_key(w, "acquired_at");
    write_stack(w, &e->acquired_at);
    tl__jw_end_object(w);
}

static void write_lock_order(struct tl__json_writer *w, const struct tl__lock_findings *l)
{
    tl__jw_key(w, "lock_order");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < l->ncycles; i++) {
        const struct tl__lock_order_cycle *c = &l->cycles[i];
        tl__jw_begin_object(w);
        tl__jw_key(w, "locks");
        tl__jw_begin_array(w);
        for (size_t j = 0; j < c->nlocks; j++)
            write_lock(w, &c->locks[j]);
        tl__jw_end_array(w);
        tl__jw_key(w, "edges");
        tl__jw_begin_array(w);
        for (size_t j = 0; j < c->nedges; j++)
            write_edge(w, &c->edges[j]);
        tl__jw_end_array(w);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

static void write_misuse(struct tl__json_writer *w, const struct tl__lock_findings *l)
{
    tl__jw_key(w, "misuse");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < l->nmisuse; i++) {
        const struct tl__lock_misuse *m = &l->misuse[i];
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "kind", m->kind);
        tl__jw_member_uint64(w, "count", m->count);
        tl__jw_key(w, "thread");
        write_thread(w, &m->thread);
        tl__jw_key(w, "stack");
        write_stack(w, &m->stack);
        tl__jw_key(w, "lock");
        write_lock(w, &m->lock);
        tl__jw_key(w, "other_lock");
        if (m->other.address)
            write_lock(w, &m->other);
        else
            tl__jw_null(w);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

static void write_stats(struct tl__json_writer *w, const struct tl__lock_findings *l)
{
    tl__jw_key(w, "lock_stats");
    tl__jw_begin_object(w);
    tl__jw_member_uint64(w, "locks_tracked", l->locks_tracked);
    tl__jw_member_uint64(w, "locks_not_tracked", l->locks_not_tracked);
    tl__jw_member_uint64(w, "edges", l->edges);
    tl__jw_member_uint64(w, "edges_not_tracked", l->edges_not_tracked);
    tl__jw_member_uint64(w, "cycles_not_recorded", l->cycles_not_recorded);
    tl__jw_member_uint64(w, "events_dropped", l->events_dropped);
    tl__jw_member_uint64(w, "cycles_dissolved", l->cycles_dissolved);
    tl__jw_member_uint64(w, "suppressed", l->suppressed);
    tl__jw_member_uint64(w, "suppressed_by_default", l->suppressed_by_default);
    tl__jw_end_object(w);
}

void lock_report_json(struct tl__json_writer *w, const struct tl__lock_findings *l)
{
    write_deadlocks(w, l);
    write_lock_order(w, l);
    write_misuse(w, l);
    write_stats(w, l);
}
