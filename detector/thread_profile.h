/* Taking a thread profile (profile_model.h) of the calling process: what the registry knows
 * (name, serial, start routine, creator, creation stack, flags), what the kernel says (state, wait,
 * how long), and the current stack from a live dump, merged into one self-contained structure.
 *
 * Taking a profile is heavy (it lists /proc, may signal every thread, symbolises): call it from a
 * tool thread, never in pthread_create's path or a signal handler. It holds no lock that
 * pthread_create or the exit path needs while it returns: registry reads are lock-free copies, and
 * the live-dump and symboliser locks are released before thread_profile_take returns. */
#ifndef THREADLEAK_THREAD_PROFILE_H
#define THREADLEAK_THREAD_PROFILE_H

#include "options.h"
#include "profile_model.h"
#include "thread_profile_store.h"

#include <stdbool.h>

struct thread_profile_options {
    bool nosignal;             /* kernel state only: no thread is interrupted */
    bool interrupt_calls;      /* signal threads in poll, nanosleep... too (live_stacks.h) */
    int signal;                /* 0 = the live dump's default; see live_stacks_options */
    unsigned deadline_ms;      /* 0 = LIVE_STACKS_DEADLINE_MS */
    bool include_tool_threads; /* list threadleak's own threads too */
    bool states_only;          /* no signals, no current or creation stacks (start routines
                                  only): for counters (/metrics) */
    bool wchan;                /* read each thread's wchan too (JSON shows it): one more /proc
                                  file per thread */
};

/* Options from THREADLEAK_OPTIONS: stacks, dump_signal and dump_timeout_ms. */
void thread_profile_options_from_config(const struct tl__config *cfg,
                                        struct thread_profile_options *out);

/* Takes a profile of the calling process. Returns 0 and fills out (release it with
 * thread_profile_free), or -errno (-ENOMEM, or what listing /proc/self/task failed with); out is
 * then empty and needs no free. */
int thread_profile_take(const struct thread_profile_options *options, struct thread_profile *out);

#endif
