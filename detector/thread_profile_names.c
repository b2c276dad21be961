/* The pure helpers of thread_profile.h, in a file of their own so that the HTTP module can build
 * them without the rest of the detector (the registry and the live dump belong to the shim). */
#include "thread_profile.h"

const char *thread_profile_state_name(enum thread_profile_state state)
{
    switch (state) {
    case THREAD_PROFILE_RUNNING:
        return "running";
    case THREAD_PROFILE_WAITING:
        return "waiting";
    case THREAD_PROFILE_STOPPED:
        return "stopped";
    case THREAD_PROFILE_EXITING:
        return "exiting";
    case THREAD_PROFILE_EXITED_UNJOINED:
        return "exited_unjoined";
    case THREAD_PROFILE_STATE_COUNT:
        break;
    }
    return "unknown";
}

uint32_t thread_profile_grouping_stack(const struct thread_profile_thread *t, bool *is_current)
{
    *is_current = t->stack != THREAD_PROFILE_NO_STACK;
    return *is_current ? t->stack : t->start_stack;
}
