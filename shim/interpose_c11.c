/* C11 <threads.h>. Since glibc 2.34 thrd_create, thrd_join and thrd_detach call libc's internal
 * pthread functions directly, not through the PLT, so they need wrappers of their own. Same shape
 * as the pthread wrappers. */
#include "locks_hooks.h"
#include "shim_init.h"
#include "shim_state.h"
#include "thread_launch.h"

#include "registry.h"

#include <threads.h>

static int c11_trampoline(void *p)
{
    struct tl__thread_record *r = p;
    thread_launch_begin(r);
    /* Function pointers round-trip through void (*)(void): C's generic function pointer type. */
    return ((thrd_start_t)(void (*)(void))r->launch_fn)(r->launch_arg);
}

TL__WRAPPER(int, thrd_create, thrd_t *thr, thrd_start_t func, void *arg)
{
    shim_init();
    struct tl__thread_record *r =
        thread_launch_prepare(NULL, (void *(*)(void *))(void (*)(void))func, arg, TL_F_C11);
    if (!r)
        return TL__REAL(thrd_create)(thr, func, arg);
    int rc = TL__REAL(thrd_create)(thr, c11_trampoline, r);
    thread_launch_finish(r, rc == thrd_success ? 0 : -1, rc == thrd_success ? *thr : 0);
    return rc;
}

TL__WRAPPER(int, thrd_join, thrd_t thr, int *res)
{
    shim_resolve_real();
    struct tl__thread_record *r = registry_find(thr);
    locks_join_begin(thr, r);
    bool waits = locks_join_wait_begin(thr, r, (uintptr_t)__builtin_return_address(0));
    int rc = TL__REAL(thrd_join)(thr, res);
    if (waits)
        locks_join_wait_end();
    if (rc == thrd_success)
        locks_join_end(thr);
    if (rc == thrd_success && r)
        registry_thread_joined(r);
    return rc;
}

TL__WRAPPER(int, thrd_detach, thrd_t thr)
{
    shim_resolve_real();
    struct tl__thread_record *r = registry_find(thr);
    int rc = TL__REAL(thrd_detach)(thr);
    if (rc == thrd_success && r)
        registry_thread_detached(r);
    return rc;
}

TL__WRAPPER(void, thrd_exit, int res)
{
    shim_resolve_real();
    TL__REAL(thrd_exit)(res);
}
