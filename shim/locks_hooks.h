/* What the shim's common code asks of the lock module (docs/locks.md). libthreadleak-locks.so has
 * the lock module (locks/lock_hooks.c); libthreadleak.so has locks_absent.c instead, whose answers
 * are "nothing": no lock findings, nothing to do at a thread's exit. Internal to the shim. */
#ifndef THREADLEAK_LOCKS_HOOKS_H
#define THREADLEAK_LOCKS_HOOKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct tl__lock_findings;
struct tl__lock_page;
struct tl__thread_locks;
struct tl__thread_record;

/* The lock findings for a report, after the configuration's suppressions (default and
 * suppressions=), or NULL without the lock module. Call between locks_own_work_begin and _end:
 * symbolising takes locks that are not the host's. */
struct tl__lock_findings *locks_findings_build(void);
size_t locks_findings_count(const struct tl__lock_findings *f);
void locks_findings_free(struct tl__lock_findings *f);

/* For the test API's "findings since a snapshot": whether locks are checked at all (the lock
 * module, locks=1); a mark of how far the findings have grown (malloc'd, free() it; NULL without
 * the lock module); the findings since a mark (NULL: all), suppressions applied, as
 * locks_findings_build. */
struct tl__lock_mark;
bool locks_checked(void);
struct tl__lock_mark *locks_mark_take(void);
struct tl__lock_findings *locks_findings_since(const struct tl__lock_mark *since);

/* The findings' blocks in the text report's layout and a summary line of their own, for the test
 * API. 0, or -1 on a stream error (always without the lock module, which has no findings). */
int locks_findings_write_text(FILE *out, pid_t pid, const struct tl__lock_findings *f, bool color);

/* Brackets threadleak's own work in the calling thread (a report): lock calls made meanwhile are
 * not the host's and are not checked. Nests. */
void locks_own_work_begin(void);
void locks_own_work_end(void);

/* The calling thread is ending (the exit observer, shim_state.c): locks it still holds are
 * exit_holding_lock misuse. */
void locks_thread_exiting(void);

/* Around a join of thread (pthread_join and its variants, thrd_join), r being its record as
 * found before the call (NULL when none): join_detached and double_join misuse. end is told only
 * of joins that succeeded. */
void locks_join_begin(pthread_t thread, const struct tl__thread_record *r);
void locks_join_end(pthread_t thread);

/* Around the libc call of a join that waits for ever (pthread_join, thrd_join; never a timed or
 * try join): the lock module records "waits for that thread" for join_cycle and all_asleep
 * (docs/locks.md). pc is the join's caller. When begin returns true, call end after libc's call,
 * whatever it returned. */
bool locks_join_wait_begin(pthread_t thread, const struct tl__thread_record *r, uintptr_t pc);
void locks_join_wait_end(void);

/* The calling thread's held locks and the lock it waits for, for a thread dump (thread_locks.h):
 * false without the lock module. Async-signal-safe, allocation-free: the dump's signal handler
 * calls it in every thread it interrupts. */
bool locks_thread_state(struct tl__thread_locks *out);

/* The /debug/locks page's model (lock_page_model.h), or NULL without the lock module (or when
 * memory runs out: *absent tells which). Takes a thread profile: call from a tool thread. */
struct tl__lock_page *locks_page_build(bool *absent);
void locks_page_free(struct tl__lock_page *page);

#endif
