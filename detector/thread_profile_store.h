/* Internal to thread_profile*.c: the memory behind a profile's private_arena. */
#ifndef THREADLEAK_THREAD_PROFILE_STORE_H
#define THREADLEAK_THREAD_PROFILE_STORE_H

#include "live_stacks.h"
#include "thread_profile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_index {
    uint32_t *slots; /* entry + 1; 0 = empty */
    size_t cap, used;
};

struct profile_store {
    struct chunk *chunks;
    const char **strings;
    size_t nstrings, strings_cap;
    struct store_index strings_index, locations_index, stacks_index;
    size_t threads_cap, locations_cap, stacks_cap;
    struct live_stacks_dump dump; /* kernel states point into it */
    bool has_dump;
};

/* size bytes from the arena, max_align_t aligned; NULL on ENOMEM. */
void *store_alloc(struct profile_store *s, size_t size);

/* The arena's copy of str (one per distinct content); NULL for NULL or ENOMEM. */
const char *store_intern(struct profile_store *s, const char *str);

/* The index of the location (pc, return_address), or UINT32_MAX when not interned yet. */
uint32_t store_find_location(const struct thread_profile *p, const struct profile_store *s,
                             uintptr_t pc, bool return_address);

#endif
