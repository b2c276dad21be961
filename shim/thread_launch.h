/* The common part of pthread_create and thrd_create: a record for the new thread, filled in the
 * creator, and the first steps the new thread takes in its trampoline. Async-signal-safe and
 * allocation-free. */
#ifndef THREADLEAK_THREAD_LAUNCH_H
#define THREADLEAK_THREAD_LAUNCH_H

#include "thread_record.h"

#include <pthread.h>

/* A filled record for a thread about to be created, or NULL to create it untracked. `extra` is
 * ORed into the flags (TL_F_C11). */
struct tl__thread_record *thread_launch_prepare(const pthread_attr_t *attr, void *(*start)(void *),
                                                void *arg, uint32_t extra);

/* After the real create returned rc; handle is valid when rc == 0. */
void thread_launch_finish(struct tl__thread_record *r, int rc, pthread_t handle);

/* First thing in the new thread. */
void thread_launch_begin(struct tl__thread_record *r);

#endif
