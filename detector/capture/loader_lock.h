/* Whether the loader's write lock is held by a thread this process does not have.
 *
 * glibc does not reset that lock (dl_load_write_lock) in a fork child: a thread of the parent
 * inside dlopen or dl_iterate_phdr at fork leaves it held there for good, and the child's next
 * dlopen waits on it forever. The lock is inside ld.so's _rtld_global, at an offset no header
 * gives; so it is found once, in a process that is not yet forked, as the one recursive mutex
 * there that the calling thread owns while inside a dl_iterate_phdr callback (and does not
 * outside it). After that, only its owner field is read. If glibc's layout does not match (no
 * such symbol, no match or more than one), nothing is found and every answer is "not held". */
#ifndef THREADLEAK_LOADER_LOCK_H
#define THREADLEAK_LOADER_LOCK_H

#include <stdbool.h>

/* Finds the lock. Not async-signal-safe (dl_iterate_phdr, dlsym); call it where a dlopen would
 * be allowed, before the process forks. Idempotent. */
void loader_lock_locate(void);

/* True once loader_lock_locate found the lock. Async-signal-safe: one load. */
bool loader_lock_located(void);

/* True when the lock was found and is held by a thread other than the caller: in a fork child,
 * by a thread of the parent, and nobody will release it. Async-signal-safe: two loads, gettid. */
bool loader_lock_held_by_other(void);

/* True when the lock was found and is not held by another thread: a dlopen will not wait on a
 * thread that does not exist. Async-signal-safe. */
bool loader_lock_free(void);

#endif
