/* State shared by the shim's wrappers: the real libc functions, the configuration, and what each
 * thread knows about itself (shim_state.c). Internal to the shim. */
#ifndef THREADLEAK_SHIM_STATE_H
#define THREADLEAK_SHIM_STATE_H

#include "interceptors.h"
#include "options.h"
#include "thread_record.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

extern struct tl__config tl__cfg;

/* Per-thread identity. Initial-exec TLS: no allocation and safe in signal handlers. */
#define TL_TLS __thread __attribute__((tls_model("initial-exec")))
extern TL_TLS struct tl__thread_record *tl__self; /* NULL for untracked threads */
extern TL_TLS pid_t tl__self_tid;                 /* cached kernel tid, 0 until known */
extern TL_TLS uint32_t tl__self_scope;            /* test-API scope new threads inherit */
extern TL_TLS bool tl__self_is_tool;              /* threads of threadleak or a sanitizer */
extern TL_TLS unsigned tl__self_creations;        /* how many threads this thread created */

/* Start-up's share of the shim's state: the real functions that must be known before a signal
 * handler needs them (interceptors.h), the registry's owner, the exit observer's key. Idempotent
 * and cheap after the first call. Safe before the constructor has run, for threads that other
 * libraries' constructors create. */
void shim_resolve_real(void);

/* Thread creation's share, on the first creation: the sanitizer runtime below us, libstdc++'s
 * code range (thread_launch.c). Idempotent; one acquire load after the first call. */
void shim_prepare_threads(void);

/* Start-up is complete (shim_init returned): the exit report may run. */
bool shim_ready(void);
void shim_set_ready(void);

/* The calling thread's kernel tid, cached. Async-signal-safe. */
pid_t shim_current_tid(void);

/* Marks the calling thread and everything it creates as threadleak's own. */
void shim_mark_current_thread_as_tool(void);

/* The pthread key whose destructor observes every thread's exit. */
void shim_attach_exit_observer(struct tl__thread_record *r);

/* The stderr the process started with, so that the exit report never follows fd 2 into a file
 * the program opened after closing it (issue 16). shim_note_start_stderr runs once at start-up:
 * one fstat(2), no descriptor kept. shim_stderr_changed returns NULL while fd 2 is still that
 * file, else why not (a fixed sentence, for the JSON report); it costs one fstat(2). */
void shim_note_start_stderr(void);
const char *shim_stderr_changed(void);

/* fork: a child adopts the registry on its first thread creation or in our atfork handler,
 * whichever runs first, and resets what a thread it does not have may have left held (the dump
 * lock, the symboliser's lock, the unwinders' bookkeeping). shim_check_fork is a relaxed load
 * outside of a fork; shim_fork_begin (prepare: holds off new stack walks and waits, bounded, for
 * those under way) and shim_fork_end bracket a fork in the parent and the child (shim_init.c
 * registers them). All async-signal-safe: fork may be called from a signal handler. */
void shim_check_fork(void);
void shim_adopt_forked_child(void);
void shim_fork_begin(void);
void shim_fork_end(void);
void shim_fork_parent(void); /* shim_fork_end, in the parent */

#endif
