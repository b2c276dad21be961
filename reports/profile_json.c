/* The JSON form of a profile. Member order follows docs/threads-json-schema.md; every member is
 * always present, null when unknown. Frames are the exit report's frame objects plus `offset`
 * (json_frame.h). */
#include "profile_json.h"

#include "json_frame.h"
#include "json_writer.h"
#include "profile_format.h"
#include "thread_locks_json.h"

#include <stdbool.h>

#define NS_PER_MS 1000000u

static void write_stack(struct tl__json_writer *w, const struct thread_profile *p, uint32_t stack)
{
    if (stack == THREAD_PROFILE_NO_STACK) {
        tl__jw_null(w);
        return;
    }
    const struct thread_profile_stack *s = &p->stacks[stack];
    tl__jw_begin_array(w);
    for (uint32_t i = 0; i < s->depth; i++)
        json_write_location(w, &p->locations[s->locations[i]], JSON_FRAMES_PROFILE);
    tl__jw_end_array(w);
}

static void write_creator(struct tl__json_writer *w, const struct thread_profile_thread *t)
{
    if (!t->tracked || (t->flags & TL_F_MAIN)) {
        tl__jw_null(w);
        return;
    }
    tl__jw_begin_object(w);
    tl__jw_key(w, "tid");
    if (t->creator_tid)
        tl__jw_int(w, t->creator_tid);
    else
        tl__jw_null(w);
    tl__jw_member_string(w, "name", t->creator_name);
    tl__jw_member_bool(w, "main", t->creator_is_main);
    tl__jw_end_object(w);
}

static void write_duration(struct tl__json_writer *w, const struct thread_profile_thread *t)
{
    tl__jw_key(w, "state_ms");
    if (t->duration == THREAD_PROFILE_DURATION_NONE)
        tl__jw_null(w);
    else
        tl__jw_uint64(w, t->state_ns / NS_PER_MS);
    tl__jw_member_bool(w, "state_ms_at_least", t->duration == THREAD_PROFILE_DURATION_AT_LEAST);
}

static void write_kernel(struct tl__json_writer *w, const struct thread_profile_thread *t)
{
    const struct kernel_thread_state *k = t->kernel;
    char state[2] = {k ? k->state : '\0', '\0'};
    tl__jw_member_string(w, "wait", k && t->state == THREAD_PROFILE_WAITING ? k->wait : NULL);
    tl__jw_member_string(w, "kernel_state", k && k->error == 0 ? state : NULL);
    tl__jw_member_string(w, "wchan", k && k->wchan[0] ? k->wchan : NULL);
    tl__jw_member_string(w, "syscall",
                         k && k->syscall_state == KERNEL_SYSCALL_IN ? k->syscall_name : NULL);
}

static void write_flags(struct tl__json_writer *w, const struct thread_profile_thread *t)
{
    static const struct {
        const char *key;
        uint32_t flag;
    } flags[] = {{"main", TL_F_MAIN},
                 {"detached", TL_F_DETACHED},
                 {"cancelled", TL_F_CANCELLED},
                 {"c11", TL_F_C11},
                 {"tool", TL_F_TOOL}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        tl__jw_member_bool(w, flags[i].key, (t->flags & flags[i].flag) != 0);
    }
}

static void write_thread(struct tl__json_writer *w, const struct thread_profile *p,
                         const struct thread_profile_thread *t)
{
    tl__jw_begin_object(w);
    tl__jw_member_int(w, "tid", t->tid);
    tl__jw_member_string(w, "name", t->name);
    tl__jw_member_bool(w, "tracked", t->tracked);
    tl__jw_key(w, "serial");
    if (t->tracked)
        tl__jw_uint64(w, t->serial);
    else
        tl__jw_null(w);
    tl__jw_member_string(w, "state", thread_profile_state_name(t->state));
    write_duration(w, t);
    write_kernel(w, t);
    write_flags(w, t);
    tl__jw_member_string(w, "start_routine", t->start_routine);
    tl__jw_key(w, "created_by");
    write_creator(w, t);
    tl__jw_member_string(w, "stack_status",
                         t->stack != THREAD_PROFILE_NO_STACK ? "ok"
                                                             : profile_missing_stack_reason(t));
    tl__jw_member_bool(w, "stack_partial", t->stack != THREAD_PROFILE_NO_STACK && t->stack_partial);
    tl__jw_key(w, "current_stack");
    write_stack(w, p, t->stack);
    tl__jw_key(w, "creation_stack");
    write_stack(w, p, t->creation_stack);
    if (p->locks_module) /* the plain shim's document is unchanged */
        thread_locks_write_json(w, p, t);
    tl__jw_end_object(w);
}

static void write_totals(struct tl__json_writer *w, const struct thread_profile *p)
{
    tl__jw_begin_object(w);
    tl__jw_member_uint64(w, "threads", p->count);
    tl__jw_key(w, "by_state");
    tl__jw_begin_object(w);
    for (int s = 0; s < THREAD_PROFILE_STATE_COUNT; s++) {
        tl__jw_member_uint64(w, thread_profile_state_name((enum thread_profile_state)s),
                             p->by_state[s]);
    }
    tl__jw_end_object(w);
    tl__jw_member_uint64(w, "created_total", p->created_total);
    tl__jw_member_uint64(w, "exited_unjoined", p->exited_unjoined);
    tl__jw_member_uint64(w, "process_threads", p->process_threads);
    tl__jw_member_uint64(w, "tool_threads", p->tool_threads);
    tl__jw_member_uint64(w, "hidden_reused_tid", p->hidden_reused_tid);
    tl__jw_end_object(w);
}

static void write_collection(struct tl__json_writer *w, const struct thread_profile *p)
{
    tl__jw_begin_object(w);
    tl__jw_member_uint64(w, "elapsed_us", p->elapsed_ns / 1000u);
    tl__jw_key(w, "signal");
    if (p->signal)
        tl__jw_int(w, p->signal);
    else
        tl__jw_null(w);
    tl__jw_member_uint64(w, "signalled", p->signals_sent);
    tl__jw_member_uint64(w, "answered", p->answers);
    tl__jw_member_string(w, "message", p->message);
    tl__jw_end_object(w);
}

int profile_write_json(FILE *out, const struct thread_profile *p)
{
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_member_string(&w, "tool", "threadleak");
    tl__jw_member_string(&w, "kind", "threads");
    tl__jw_member_int(&w, "schema", PROFILE_JSON_SCHEMA);
    tl__jw_member_int(&w, "pid", p->pid);
    tl__jw_member_uint64(&w, "time_unix_ns", p->taken_ns);
    tl__jw_member_string(&w, "stacks", p->signalled ? "signal" : "nosignal");
    tl__jw_key(&w, "collection");
    write_collection(&w, p);
    tl__jw_key(&w, "totals");
    write_totals(&w, p);
    tl__jw_key(&w, "threads");
    tl__jw_begin_array(&w);
    for (size_t i = 0; i < p->count; i++)
        write_thread(&w, p, &p->threads[i]);
    tl__jw_end_array(&w);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w);
}
