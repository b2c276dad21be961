/* Living with ThreadSanitizer in the same process. Two arrangements (field notes):
 *  - below TSan: clang links TSan into the executable, or gcc's libtsan is preloaded first. User
 *    threads reach us with TSan's trampoline `__tsan_thread_start_func` and a ThreadParam whose
 *    first field is the user's routine; anything else we see is TSan's own thread.
 *  - above TSan: gcc's libtsan loaded after us. We see user routines; TSan's threads bypass us.
 * Below AddressSanitizer (its runtime preloaded first, as `threadleak run` does), user threads
 * reach us with ASan's trampoline `asan_thread_start` and an AsanThread holding the routine. */
#ifndef THREADLEAK_SANITIZER_INTERPLAY_H
#define THREADLEAK_SANITIZER_INTERPLAY_H

#include <stdbool.h>

/* Looks for TSan once, given the pthread_create we call through. Not async-signal-safe: called
 * from shim start-up only. */
void sanitizer_interplay_init(void *real_pthread_create);

bool sanitizer_below_tsan(void);

/* The user's routine behind TSan's or ASan's trampoline, or start itself; and the argument it
 * gets. */
void *sanitizer_user_start_routine(void *(*start)(void *), void *arg);
void *sanitizer_user_start_arg(void *(*start)(void *), void *arg);

/* Is this creation one of TSan's own threads? */
bool sanitizer_is_own_thread(void *(*start)(void *));

#endif
