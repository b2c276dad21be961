/* A profile's memory, and building profiles from parts: the arena behind private_arena, which
 * interns strings, locations and stacks so that equal ones are stored once.
 *
 * thread_profile_take (thread_profile.h) fills a profile through these functions; tests of the
 * renderers and synthetic data call them directly. The store calls nothing of the taking. */
#ifndef THREADLEAK_THREAD_PROFILE_STORE_H
#define THREADLEAK_THREAD_PROFILE_STORE_H

#include "profile_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An empty profile whose arena can hold what the functions below add. 0 or -ENOMEM. */
int thread_profile_init_empty(struct thread_profile *p);

/* Appends a thread and returns it, NULL on ENOMEM. The thread, its start routine, its kernel
 * state and its locks are copied into the profile. Callers keep `threads` sorted. */
struct thread_profile_thread *thread_profile_add_thread(struct thread_profile *p,
                                                        const struct thread_profile_thread *t);

/* Sets t's locks (t one of p's threads) to a copy of locks in the profile's arena. 0 or -ENOMEM.
 */
int thread_profile_set_locks(struct thread_profile *p, struct thread_profile_thread *t,
                             const struct thread_profile_locks *locks);

/* Interns a location by (pc, return_address), copying its frames and their strings, and returns
 * its index; THREAD_PROFILE_NO_LOCATION on ENOMEM or when it has no frame. The copies take the
 * location's pc, and every frame but the last is marked inlined, as the model says. */
uint32_t thread_profile_add_location(struct thread_profile *p, const struct tl__location *loc);

/* The index of the location (pc, return_address), or THREAD_PROFILE_NO_LOCATION when it was not
 * added yet. */
uint32_t thread_profile_find_location(const struct thread_profile *p, uintptr_t pc,
                                      bool return_address);

/* Interns a stack of location indexes and returns its index, THREAD_PROFILE_NO_STACK on ENOMEM
 * or for depth 0. */
uint32_t thread_profile_add_stack(struct thread_profile *p, const uint32_t *locations,
                                  uint32_t depth);

/* Copies s into the profile's arena. NULL for NULL or ENOMEM. */
const char *thread_profile_strdup(struct thread_profile *p, const char *s);

/* Recounts by_state from threads. */
void thread_profile_count_states(struct thread_profile *p);

/* Frees everything the profile holds and leaves it empty. */
void thread_profile_free(struct thread_profile *profile);

#endif
