/* A thread's locks as text, jstack's way: the lines a debug=2 dump and the --timeout dump print
 * under a thread's stack, and the /debug/locks page under each thread (docs/live-stacks.md):
 *
 *	- waiting to lock <0x55d0c3a4e040> (pthread_mutex_t) held by thread 4242 "worker"
 *	- locked <0x55d0c3a4e080> (pthread_mutex_t) at locks_prog.c:31
 *
 * The wait first, then the locks held, the latest taken first. */
#ifndef THREADLEAK_THREAD_LOCKS_TEXT_H
#define THREADLEAK_THREAD_LOCKS_TEXT_H

#include "profile_model.h"

#include <stdio.h>

/* The thread that tid is in the profile, or NULL. */
const struct thread_profile_thread *profile_thread_by_tid(const struct thread_profile *p,
                                                          pid_t tid);

/* `<0x55d0c3a4e040> (pthread_rwlock_t, read)`: the lock as jstack names an object. */
void thread_lock_write_ref(FILE *out, const struct thread_profile_lock *l);

/* `at locks_prog.c:31` (or the function, or the address, when that is all there is); nothing
 * when the location is unknown. Begins with a space. */
void thread_lock_write_site(FILE *out, const struct thread_profile *p,
                            const struct thread_profile_lock *l);

/* ` thread 4242 "worker"` (the name when the profile has the thread). */
void thread_lock_write_thread(FILE *out, const struct thread_profile *p, pid_t tid);

/* ` held by thread 4242 "worker"`; nothing when the owner is unknown. */
void thread_lock_write_owner(FILE *out, const struct thread_profile *p, pid_t owner);

/* Who could end the wait: ` held by thread 7 "worker"` for a lock, `: thread 7 "worker"` for a
 * join; and a condition wait's `, with <0x...> released` (its mutex). */
void thread_lock_write_wait_target(FILE *out, const struct thread_profile *p,
                                   const struct thread_profile_locks *locks);

/* Every line for t, each starting with prefix; nothing when t->locks is NULL. */
void thread_locks_write_text(FILE *out, const struct thread_profile *p,
                             const struct thread_profile_thread *t, const char *prefix);

#endif
