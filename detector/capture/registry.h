/* The thread registry: every tracked thread's record, found by pthread_t, read without locks.
 *
 * Records come from an mmap-backed pool with a lock-free free list; the pthread_t index is a hash
 * with one spinlock per bucket, so concurrent creators never meet on a global lock. Every function
 * here except registry_copy_all and the fork hooks is async-signal-safe and allocation-free: it
 * runs inside pthread_create's path and inside exiting threads. */
#ifndef THREADLEAK_REGISTRY_H
#define THREADLEAK_REGISTRY_H

#include "thread_record.h"

#include <stddef.h>

/* A fresh record (IN_USE, new serial, creator hold set), not yet findable by handle. NULL when
 * memory is exhausted; the caller then runs the thread untracked. */
struct tl__thread_record *registry_new_record(void);

/* Makes r findable by handle. Both the creator and the new thread call it; the first one wins. */
void registry_publish(struct tl__thread_record *r, pthread_t handle);

/* The creator is done with r (after publishing, or after a failed create). May free r. */
void registry_release_creator_hold(struct tl__thread_record *r);

/* Creation failed: r was never visible to anyone else. */
void registry_discard(struct tl__thread_record *r);

/* The record for handle, or NULL when the thread is not tracked. The pointer stays valid until the
 * thread is joined, or exits while detached. */
struct tl__thread_record *registry_find(pthread_t handle);

/* State changes. Each may free the record when it completes its lifetime. */
void registry_thread_started(struct tl__thread_record *r, pid_t tid);
void registry_thread_exited(struct tl__thread_record *r, const char *final_name);
void registry_thread_detached(struct tl__thread_record *r);
void registry_thread_joined(struct tl__thread_record *r);
void registry_thread_cancelled(struct tl__thread_record *r);
void registry_set_flags(struct tl__thread_record *r, uint32_t flags);
void registry_set_name(struct tl__thread_record *r, const char *name);

/* Record writers bracket field updates so that readers can detect a torn copy. */
void registry_write_begin(struct tl__thread_record *r);
void registry_write_end(struct tl__thread_record *r);

/* Copies every live record into out (up to cap) and returns how many there are in all; call again
 * with a larger buffer when the result exceeds cap. Lock-free; never sees a torn record. */
size_t registry_copy_all(struct tl__thread_info *out, size_t cap);

/* Copies one record; false when it is no longer live. */
bool registry_copy(const struct tl__thread_record *r, struct tl__thread_info *out);

/* Counters for the summary and /metrics. threads_created counts the program's threads only:
 * not the main thread, nor threadleak's or a sanitizer's own. */
void registry_count_created(void);
uint64_t registry_threads_created(void);
uint64_t registry_threads_live(void);

/* Exit events, for waiting without polling: read the epoch, check your condition, then wait for
 * the epoch to move. Returns false when the deadline (CLOCK_MONOTONIC ns) passed first. */
uint32_t registry_exit_epoch(void);
bool registry_wait_exit(uint32_t seen_epoch, uint64_t deadline_ns);

/* fork: the child keeps only the record of the thread that forked (keep may be NULL). Bucket
 * locks and chains are rebuilt, so nothing needs to be held across the fork. */
void registry_fork_child(struct tl__thread_record *keep);

#endif
