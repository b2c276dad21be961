/* A thread profile as text, in the layouts of Go's goroutine profile.
 *
 * debug=1 groups threads by current stack, the largest group first:
 *
 *     threads profile: total 7
 *     4 @ 0x7f...f14 0x7f...5d8 0x55...f2b
 *     #	0x7f...f14	__futex_abstimed_wait_common+0x64
 *     #	0x55...f2b	worker+0x1b	/src/worker.c:42
 *     <blank line>
 *
 * debug=2 lists every thread with its current stack and where it was created:
 *
 *     thread 1235 "worker-1" [futex wait (condition), 5 seconds]:
 *     worker(...)
 *     	/src/worker.c:42 +0x1b
 *     created by thread 1234 "server" at:
 *     start_workers(...)
 *     	/src/server.c:80 +0x33
 *     <blank line>
 *
 * Formats are documented in docs/endpoint.md. Not async-signal-safe (stdio). */
#ifndef THREADLEAK_PROFILE_TEXT_H
#define THREADLEAK_PROFILE_TEXT_H

#include "profile_model.h"

#include <stdio.h>

/* Each returns 0, or -1 when memory ran out or writing failed. */
int profile_write_debug1(FILE *out, const struct thread_profile *p);
int profile_write_debug2(FILE *out, const struct thread_profile *p);

#endif
