/* See loader_lock.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "loader_lock.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic(const pthread_mutex_t *) write_lock;

struct lock_search {
    const char *area;
    size_t size;
    pid_t tid;
    const pthread_mutex_t *found;
    unsigned matches;
};

static bool owned_by(const pthread_mutex_t *m, pid_t tid)
{
    return m->__data.__owner == tid && m->__data.__count > 0 &&
           (m->__data.__kind & 0x7f) == PTHREAD_MUTEX_RECURSIVE_NP;
}

/* Called with the lock held by this thread: the recursive mutexes of _rtld_global it owns. */
static int find_owned(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info, (void)size;
    struct lock_search *s = arg;
    for (size_t off = 0; off + sizeof(pthread_mutex_t) <= s->size;
         off += _Alignof(pthread_mutex_t)) {
        const pthread_mutex_t *m = (const pthread_mutex_t *)(const void *)(s->area + off);
        if (owned_by(m, s->tid)) {
            s->found = m;
            s->matches++;
        }
    }
    return 1; /* one module is enough: the lock is held for the whole iteration */
}

void loader_lock_locate(void)
{
    if (atomic_load(&write_lock))
        return;
    struct lock_search s = {.tid = (pid_t)syscall(SYS_gettid)};
    s.area = dlsym(RTLD_DEFAULT, "_rtld_global");
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!s.area || !dladdr1(s.area, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
        return;
    s.size = sym->st_size;
    dl_iterate_phdr(find_owned, &s);
    /* Exactly one, and not owned once the iteration is over: then it is the iteration's lock. */
    if (s.matches == 1 && !owned_by(s.found, s.tid))
        atomic_store(&write_lock, s.found);
}

bool loader_lock_held_by_other(void)
{
    const pthread_mutex_t *m = atomic_load(&write_lock);
    if (!m)
        return false;
    pid_t owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    return owner != 0 && owner != (pid_t)syscall(SYS_gettid);
}

bool loader_lock_located(void)
{
    return atomic_load(&write_lock) != NULL;
}

bool loader_lock_free(void)
{
    return loader_lock_located() && !loader_lock_held_by_other();
}
