/* One-time work that pthread_create's path may reach: loading an unwinder, finding the sanitizer
 * runtime. pthread_once would do, but for one case: a signal handler that creates a thread while
 * its own thread is inside that very once would wait for itself forever. Here it does not wait; it
 * goes on without the work (a creation stack of 0 frames), and so does another thread that waited
 * longer than LAZY_ONCE_WAIT_NS (the runner may itself wait on a lock the waiter's interrupted
 * code holds). Async-signal-safe except for what the work itself does. */
#ifndef THREADLEAK_LAZY_ONCE_H
#define THREADLEAK_LAZY_ONCE_H

#include <stdatomic.h>
#include <stdbool.h>

#define LAZY_ONCE_WAIT_NS 2000000000ull /* 2 s: a dlopen from a slow disk on a loaded box */

struct tl__lazy_once {
    atomic_int state; /* zero-initialised: not run */
};

#define TL_LAZY_ONCE_INIT                                                                          \
    {                                                                                              \
        0                                                                                          \
    }

/* Runs work once per process. True when it has finished (now, or before); false when the caller
 * goes on without it (see above). The fast path is one acquire load. */
bool lazy_once_run(struct tl__lazy_once *once, void (*work)(void));

/* True when the work has finished. One acquire load. */
bool lazy_once_done(struct tl__lazy_once *once);

/* In a fork child: a once that another thread of the parent was running will never finish here,
 * so it may run again (the fork handlers made sure that no load was half done: stack_capture.h).
 * One this thread is running (fork from a handler that interrupted it) resumes and finishes. */
void lazy_once_fork_child(struct tl__lazy_once *once);

#endif
