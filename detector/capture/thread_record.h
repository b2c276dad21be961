/* One tracked thread, as the registry stores it and as readers copy it out.
 *
 * A record is written by the shim in pthread_create's path and in the thread's exit path, and read
 * concurrently by verdicts, the test API and live dumps. Readers never lock: they copy the record
 * under its sequence counter (see registry_copy) and retry when a writer was active. */
#ifndef THREADLEAK_THREAD_RECORD_H
#define THREADLEAK_THREAD_RECORD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TL_MAX_FRAMES 64
#define TL_NAME_MAX   16 /* the kernel's comm length, NUL included */

/* Lifetime flags. A record is freed once it is JOINED, or once it is both EXITED and DETACHED. */
enum tl__thread_flag {
    TL_F_IN_USE = 1u << 0,        /* the slot holds a live record */
    TL_F_STARTED = 1u << 1,       /* the thread ran its first instruction; tid is valid */
    TL_F_EXITED = 1u << 2,        /* the thread finished (return, pthread_exit or cancellation) */
    TL_F_DETACHED = 1u << 3,      /* created detached, or pthread_detach / thrd_detach was called */
    TL_F_JOINED = 1u << 4,        /* a join succeeded; the record is about to be freed */
    TL_F_CANCELLED = 1u << 5,     /* pthread_cancel was called on it */
    TL_F_TOOL = 1u << 6,          /* belongs to threadleak or a sanitizer runtime: never reported */
    TL_F_MAIN = 1u << 7,          /* the process's main thread */
    TL_F_C11 = 1u << 8,           /* created with thrd_create */
    TL_F_PUBLISHED = 1u << 9,     /* findable by handle */
    TL_F_CREATOR_HOLD = 1u << 10, /* the creator still uses the record; it cannot be freed */
};

/* The plain data of a thread, without the registry's bookkeeping. This is what readers get. */
struct tl__thread_info {
    uint64_t serial;         /* unique per process, never reused; 1 is the main thread */
    uint32_t flags;          /* enum tl__thread_flag */
    uint32_t scope;          /* test-API scope id, 0 = none */
    pthread_t handle;        /* the pthread_t the creator got back */
    pid_t tid;               /* kernel tid, 0 until the thread started */
    pid_t creator_tid;       /* 0 when the creator is unknown */
    uint64_t creator_serial; /* 0 when the creator was not tracked */
    void *start_routine;     /* the user's routine, even under ThreadSanitizer */
    uint64_t created_ns;     /* CLOCK_REALTIME at creation */
    uint64_t exited_ns;      /* CLOCK_REALTIME at exit, 0 while running */
    char name[TL_NAME_MAX];  /* last known name: setname, or the comm read at exit */
    char creator_name[TL_NAME_MAX];
    uint16_t nframes;
    void *frames[TL_MAX_FRAMES]; /* creation stack, innermost first; [0] is the creator's call */
};

struct tl__thread_record {
    _Atomic uint32_t seq;   /* odd while a writer is inside; readers retry */
    _Atomic uint32_t flags; /* mirrors info.flags; the authoritative copy for state changes */
    struct tl__thread_info info;
    struct tl__thread_record *hash_next; /* chain in the handle hash, guarded by its stripe */
    _Atomic uint32_t free_next;          /* pool free-list link (slot index + 1), 0 = end */
    uint32_t pool_slot;                  /* this record's own slot index in the pool */
    void *(*launch_fn)(void *);          /* what the trampoline calls: the routine libc was given */
    void *launch_arg;
};

#endif
