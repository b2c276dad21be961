/* Filling a new thread's record in its creator, and the new thread's first steps.
 *
 * Async-signal-safe and allocation-free: this is pthread_create's path. */
#include "thread_launch.h"

#include "cxx_threads.h"
#include "registry.h"
#include "sanitizer_interplay.h"
#include "shim_state.h"
#include "stack_capture.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool attr_says_detached(const pthread_attr_t *attr)
{
    int state = PTHREAD_CREATE_JOINABLE;
    return attr && pthread_attr_getdetachstate(attr, &state) == 0 &&
           state == PTHREAD_CREATE_DETACHED;
}

static uint32_t inherited_flags(void *(*start)(void *))
{
    if (tl__self_is_tool || sanitizer_is_own_thread(start))
        return TL_F_TOOL;
    return 0;
}

static void fill_creator(struct tl__thread_record *r)
{
    r->info.creator_tid = shim_current_tid();
    r->info.creator_serial = tl__self ? tl__self->info.serial : 0;
    prctl(PR_GET_NAME, r->info.creator_name, 0, 0, 0);
}

struct tl__thread_record *thread_launch_prepare(const pthread_attr_t *attr, void *(*start)(void *),
                                                void *arg, uint32_t extra)
{
    int saved_errno = errno;
    shim_check_fork();
    shim_prepare_threads();
    struct tl__thread_record *r = registry_new_record();
    if (!r)
        return NULL;
    enum tl__capture_method method = TL_CAPTURE_CAREFUL;
    if (sanitizer_below_tsan())
        method = TL_CAPTURE_LIBGCC; /* see stack_capture.h */
    else if (++tl__self_creations > TL_FAST_CAPTURE_AFTER)
        method = TL_CAPTURE_FAST;
    registry_write_begin(r);
    r->info.start_routine = cxx_thread_user_routine(sanitizer_user_start_routine(start, arg),
                                                    sanitizer_user_start_arg(start, arg));
    r->info.scope = tl__self_scope;
    fill_creator(r);
    r->info.nframes = (uint16_t)stack_capture(r->info.frames, TL_MAX_FRAMES, method);
    r->launch_fn = start;
    r->launch_arg = arg;
    registry_write_end(r);
    uint32_t flags = extra | inherited_flags(start);
    if (attr_says_detached(attr))
        flags |= TL_F_DETACHED;
    if (flags)
        registry_set_flags(r, flags);
    errno = saved_errno;
    return r;
}

void thread_launch_finish(struct tl__thread_record *r, int rc, pthread_t handle)
{
    int saved_errno = errno;
    if (rc != 0) {
        registry_discard(r);
    } else {
        if (!(atomic_load(&r->flags) & TL_F_TOOL))
            registry_count_created();
        registry_publish(r, handle);
        registry_release_creator_hold(r);
    }
    errno = saved_errno;
}

void thread_launch_begin(struct tl__thread_record *r)
{
    int saved_errno = errno;
    tl__self = r;
    tl__self_tid = (pid_t)syscall(SYS_gettid);
    tl__self_scope = r->info.scope;
    tl__self_is_tool = (atomic_load(&r->flags) & TL_F_TOOL) != 0;
    tl__self_creations = 0;
    registry_publish(r, pthread_self());
    registry_thread_started(r, tl__self_tid);
    shim_attach_exit_observer(r);
    errno = saved_errno;
}
