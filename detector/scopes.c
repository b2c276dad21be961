/* Interned scope names. Writers take a mutex (scopes are opened by tests, not in hot paths);
 * readers index a published array without locking, since a slot is written before the count
 * that makes it visible. */
#include "scopes.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static char *names[TL_MAX_SCOPES + 1];
static _Atomic uint32_t published;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t scope_lookup(const char *name, uint32_t count)
{
    for (uint32_t id = 1; id <= count; id++) {
        if (strcmp(names[id], name) == 0)
            return id;
    }
    return 0;
}

uint32_t scope_intern(const char *name)
{
    if (!name || !name[0])
        return 0;
    pthread_mutex_lock(&intern_lock);
    uint32_t count = atomic_load_explicit(&published, memory_order_relaxed);
    uint32_t id = scope_lookup(name, count);
    if (id == 0 && count < TL_MAX_SCOPES) {
        char *copy = strdup(name);
        if (copy) {
            id = count + 1;
            names[id] = copy;
            atomic_store_explicit(&published, id, memory_order_release);
        }
    }
    pthread_mutex_unlock(&intern_lock);
    return id;
}

void scopes_fork_child(void)
{
    pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
    intern_lock = unlocked;
}

const char *scope_name(uint32_t id)
{
    if (id == 0 || id > atomic_load_explicit(&published, memory_order_acquire))
        return NULL;
    return names[id];
}
