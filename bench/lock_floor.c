/* L1-L3's floor: a preloaded library whose pthread_mutex_lock and pthread_mutex_unlock do nothing
 * but call libc's, through a pointer found with dlsym(RTLD_NEXT) as the lock module's are. What
 * it costs over native is what any LD_PRELOAD lock wrapper costs before it checks anything: the
 * wrapper's own call and return, and an indirect call into libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

static int (*real_lock)(pthread_mutex_t *);
static int (*real_unlock)(pthread_mutex_t *);

__attribute__((constructor)) static void find_real(void)
{
    real_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_unlock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_unlock");
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    return real_lock(m);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    return real_unlock(m);
}
