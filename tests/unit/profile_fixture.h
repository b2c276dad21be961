/* A hand-built thread profile for the renderer tests: every state, shared and inlined stacks,
 * exited and untracked threads, and names that need escaping. What it holds is described by the
 * constants below, so that the tests check the renderers against known data. */
#ifndef THREADLEAK_TEST_PROFILE_FIXTURE_H
#define THREADLEAK_TEST_PROFILE_FIXTURE_H

#include "thread_profile.h"

#define FIXTURE_PID         4000
#define FIXTURE_THREADS     8
#define FIXTURE_WORKERS     3 /* tids 4001..4003, "worker", same stack, futex wait, 5 s */
#define FIXTURE_WORKER_TID  4001
#define FIXTURE_SPINNER_TID 4004 /* running, its stack has an inlined frame */
#define FIXTURE_EXITED_TID  4005 /* exited, not joined; no current stack */
#define FIXTURE_UNTRACKED   4006 /* not tracked, no stack (signals blocked) */
#define FIXTURE_NASTY_TID   4007 /* name with quote, backslash, newline, <, & */
#define FIXTURE_NASTY_NAME  "a\"b\\c\nd<&>"
#define FIXTURE_WAIT        "futex wait (condition)"
#define FIXTURE_WORKER_FN   "worker_loop"
#define FIXTURE_WORKER_FILE "/src/worker.c"
#define FIXTURE_WORKER_LINE 42
#define FIXTURE_SPAWN_FN    "start_workers"
#define FIXTURE_INLINED_FN  "spin_once"
#define FIXTURE_SPINNER_FN  "spin_forever"
#define FIXTURE_EXITED_FN   "finish_fast"
#define FIXTURE_NASTY_FN    "operator\"\" _q<T>"
#define FIXTURE_CREATED     1234
#define FIXTURE_EXITED_UNJ  1

/* Builds the profile; the test frees it with thread_profile_free. */
void fixture_profile(struct thread_profile *p);

#endif
