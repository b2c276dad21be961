/* A thread's locks as JSON members (thread_locks_json.h). */
#include "thread_locks_json.h"

#include "json_frame.h"
#include "thread_locks.h"
#include "thread_locks_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void thread_locks_write_address(struct tl__json_writer *w, uintptr_t address)
{
    char text[2 + 16 + 1];
    snprintf(text, sizeof text, "0x%" PRIxPTR, address);
    tl__jw_string(w, text);
}

/* address, type and mode, as members of the object under way. */
static void write_lock_members(struct tl__json_writer *w, const struct thread_profile_lock *l)
{
    tl__jw_key(w, "address");
    thread_locks_write_address(w, l->address);
    tl__jw_member_string(w, "type", tl__thread_lock_type_name(l->type));
    tl__jw_member_string(w, "mode", l->read ? "read" : "write");
}

static void write_site(struct tl__json_writer *w, const struct thread_profile *p, uint32_t loc)
{
    tl__jw_begin_array(w);
    if (loc != THREAD_PROFILE_NO_LOCATION && loc < p->nlocations)
        json_write_location(w, &p->locations[loc], JSON_FRAMES_PROFILE);
    tl__jw_end_array(w);
}

static void write_wait(struct tl__json_writer *w, const struct thread_profile *p,
                       const struct thread_profile_locks *locks)
{
    if (!locks->waiting) {
        tl__jw_null(w);
        return;
    }
    tl__jw_begin_object(w);
    write_lock_members(w, &locks->waits_for);
    tl__jw_key(w, "held_by");
    if (locks->waits_for_owner > 0)
        tl__jw_int(w, locks->waits_for_owner);
    else
        tl__jw_null(w);
    const struct thread_profile_thread *owner =
        locks->waits_for_owner > 0 ? profile_thread_by_tid(p, locks->waits_for_owner) : NULL;
    tl__jw_member_string(w, "held_by_name", owner ? owner->name : NULL);
    tl__jw_key(w, "mutex");
    if (locks->waits_for_mutex)
        thread_locks_write_address(w, locks->waits_for_mutex);
    else
        tl__jw_null(w);
    tl__jw_key(w, "at");
    write_site(w, p, locks->waits_for.location);
    tl__jw_end_object(w);
}

void thread_locks_write_json(struct tl__json_writer *w, const struct thread_profile *p,
                             const struct thread_profile_thread *t)
{
    const struct thread_profile_locks *locks = t->locks;
    tl__jw_key(w, "holds");
    if (!locks) {
        tl__jw_null(w);
        tl__jw_key(w, "waits_for");
        tl__jw_null(w);
        return;
    }
    tl__jw_begin_array(w);
    for (uint32_t i = 0; i < locks->nheld; i++) {
        tl__jw_begin_object(w);
        write_lock_members(w, &locks->held[i]);
        tl__jw_key(w, "taken_at");
        write_site(w, p, locks->held[i].location);
        tl__jw_key(w, "known_from");
        if (locks->held[i].known_from)
            tl__jw_int(w, locks->held[i].known_from);
        else
            tl__jw_null(w);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
    tl__jw_key(w, "waits_for");
    write_wait(w, p, locks);
}
