/* The pthread wrappers. Each has the same shape: resolve the real function, note what the call
 * is about to do, call through, and record the outcome only when libc says it succeeded, leaving
 * the return value and errno exactly as libc set them.
 *
 * pthread_create's path (create_tracked, thread_trampoline) is async-signal-safe and does not
 * call malloc: the registry is mmap-backed and lock-free, and stack capture is allocation-free
 * (see detector/capture/stack_capture.h for the one exception, once per busy creator). */
#include "locks_hooks.h"
#include "shim_init.h"
#include "shim_state.h"
#include "thread_launch.h"

#include "registry.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

static void *thread_trampoline(void *p)
{
    struct tl__thread_record *r = p;
    thread_launch_begin(r);
    return r->launch_fn(r->launch_arg);
}

TL__WRAPPER(int, pthread_create, pthread_t *restrict thread, const pthread_attr_t *restrict attr,
            void *(*start)(void *), void *restrict arg)
{
    shim_init();
    struct tl__thread_record *r = thread_launch_prepare(attr, start, arg, 0);
    if (!r)
        return TL__REAL(pthread_create)(thread, attr, start, arg);
    int rc = TL__REAL(pthread_create)(thread, attr, thread_trampoline, r);
    thread_launch_finish(r, rc, rc == 0 ? *thread : 0);
    return rc;
}

/* Joins: the record is found before the call, because once a join succeeds the pthread_t may be
 * reused at once by another thread's create. The lock module checks joins for misuse
 * (locks_hooks.h); libc's answer is passed on whatever it finds. */
#define JOIN_WRAPPER(call, untimed)                                                                \
    shim_resolve_real();                                                                           \
    struct tl__thread_record *r = registry_find(thread);                                           \
    locks_join_begin(thread, r);                                                                   \
    bool waits =                                                                                   \
        (untimed) && locks_join_wait_begin(thread, r, (uintptr_t)__builtin_return_address(0));     \
    int rc = (call);                                                                               \
    if (waits)                                                                                     \
        locks_join_wait_end();                                                                     \
    if (rc == 0)                                                                                   \
        locks_join_end(thread);                                                                    \
    if (rc == 0 && r)                                                                              \
        registry_thread_joined(r);                                                                 \
    return rc

TL__WRAPPER(int, pthread_join, pthread_t thread, void **retval)
{
    JOIN_WRAPPER(TL__REAL(pthread_join)(thread, retval), true);
}

TL__WRAPPER(int, pthread_tryjoin_np, pthread_t thread, void **retval)
{
    JOIN_WRAPPER(TL__REAL(pthread_tryjoin_np)(thread, retval), false);
}

TL__WRAPPER(int, pthread_timedjoin_np, pthread_t thread, void **retval,
            const struct timespec *abstime)
{
    JOIN_WRAPPER(TL__REAL(pthread_timedjoin_np)(thread, retval, abstime), false);
}

TL__WRAPPER(int, pthread_clockjoin_np, pthread_t thread, void **retval, clockid_t clock,
            const struct timespec *abstime)
{
    JOIN_WRAPPER(TL__REAL(pthread_clockjoin_np)(thread, retval, clock, abstime), false);
}

TL__WRAPPER(int, pthread_detach, pthread_t thread)
{
    shim_resolve_real();
    struct tl__thread_record *r = registry_find(thread);
    int rc = TL__REAL(pthread_detach)(thread);
    if (rc == 0 && r)
        registry_thread_detached(r);
    return rc;
}

TL__WRAPPER(int, pthread_cancel, pthread_t thread)
{
    shim_resolve_real();
    struct tl__thread_record *r = registry_find(thread);
    int rc = TL__REAL(pthread_cancel)(thread);
    if (rc == 0 && r)
        registry_thread_cancelled(r);
    return rc;
}

TL__WRAPPER(int, pthread_setname_np, pthread_t thread, const char *name)
{
    shim_resolve_real();
    int rc = TL__REAL(pthread_setname_np)(thread, name);
    if (rc == 0) {
        struct tl__thread_record *r = registry_find(thread);
        if (r)
            registry_set_name(r, name);
    }
    return rc;
}

/* The exit itself is observed by the pthread key destructor, which runs for every way a thread
 * can end; the wrapper exists so that a preloaded shim sees the call and for symmetry with
 * thrd_exit. */
TL__WRAPPER(void, pthread_exit, void *retval)
{
    shim_resolve_real();
    TL__REAL(pthread_exit)(retval);
}
