/* A thread's locks as JSON members, "holds" and "waits_for" (docs/threads-json-schema.md): in the
 * threads profile's thread objects under the lock module, and in the /debug/locks page's. */
#ifndef THREADLEAK_THREAD_LOCKS_JSON_H
#define THREADLEAK_THREAD_LOCKS_JSON_H

#include "json_writer.h"
#include "profile_model.h"

/* "holds": [{address, type, mode, taken_at}] and "waits_for": {address, type, mode, held_by,
 * held_by_name, at} or null, as members of the object under way; both null when t->locks is
 * NULL (the thread was not interrupted, so its locks are unknown). */
void thread_locks_write_json(struct tl__json_writer *w, const struct thread_profile *p,
                             const struct thread_profile_thread *t);

/* "0x55d0c3a4e040". */
void thread_locks_write_address(struct tl__json_writer *w, uintptr_t address);

#endif
