/* What the kernel says a thread of this process is doing, from /proc/self/task/TID.
 *
 * Read by a collector thread (live dumps, the endpoint), never in a signal handler or in
 * pthread_create's path: it opens files. It allocates nothing; one read costs ~30-50 µs per thread
 * (stat, syscall, wchan, status), plus ~9 µs for `sched` when the wait's start is wanted.
 *
 * Wait durations. Nothing in /proc says "blocked since". Two sources, both documented in
 * docs/live-stacks.md:
 *  - `sched`'s se.exec_start: when the thread last left the CPU, on that CPU's scheduler clock
 *    (clock_task, which excludes irq and steal time: CPUs drift apart, 68 ms after 45 minutes
 *    here). It is converted to CLOCK_MONOTONIC with a per-CPU offset that the collector measures
 *    by moving itself onto that CPU (kernel_sched_clock). Needs a kernel with sched debug info;
 *    any wake-up, including a dump signal, moves it.
 *  - a tracker across samples: a thread seen again in the same syscall with the same arguments,
 *    stack pointer and pc, that has not blocked again in between (voluntary context switches,
 *    minus the ones our own dump signals caused), has been waiting since the first sample. */
#ifndef THREADLEAK_KERNEL_STATE_H
#define THREADLEAK_KERNEL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KERNEL_STATE_COMM_MAX   16
#define KERNEL_STATE_WCHAN_MAX  48
#define KERNEL_STATE_TARGET_MAX 96
#define KERNEL_STATE_WAIT_MAX   128

/* What /proc/self/task/TID/syscall said. */
enum kernel_syscall_state {
    KERNEL_SYSCALL_UNREAD,  /* unreadable: see syscall_error (EACCES when not dumpable) */
    KERNEL_SYSCALL_RUNNING, /* "running": on a CPU, or runnable in user space */
    KERNEL_SYSCALL_NONE,    /* "-1 sp pc": blocked, but not in a syscall (a fault, a stop) */
    KERNEL_SYSCALL_IN,      /* in syscall syscall_nr with args */
};

/* What a futex wait most likely is, from its op (glibc 2.36's usage). */
enum kernel_futex_kind {
    KERNEL_FUTEX_NONE,         /* not a futex call */
    KERNEL_FUTEX_CONDITION,    /* WAIT_BITSET, match-any: condvars, and also semaphores,
                                  rwlocks and barriers, which glibc waits for the same way */
    KERNEL_FUTEX_MUTEX,        /* plain WAIT: glibc's low-level locks (mutexes, once) */
    KERNEL_FUTEX_MUTEX_PI,     /* LOCK_PI / LOCK_PI2: priority-inheritance mutexes */
    KERNEL_FUTEX_CONDITION_PI, /* WAIT_REQUEUE_PI: condvar paired with a PI mutex */
    KERNEL_FUTEX_JOIN,         /* waiting on another thread's tid word: pthread_join */
    KERNEL_FUTEX_WAIT_OTHER,   /* a wait with a specific bitset */
    KERNEL_FUTEX_OTHER,        /* wake, requeue and the rest: not a wait */
};

/* Where a wait duration came from. */
enum kernel_duration_source {
    KERNEL_DURATION_NONE,     /* running, exited, or unknown */
    KERNEL_DURATION_LAST_RAN, /* now minus the scheduler's last-ran time (one sample) */
    KERNEL_DURATION_OBSERVED, /* the same wait, seen continuously since a last-ran time */
    KERNEL_DURATION_AT_LEAST, /* no last-ran time: since the tracker first saw this wait (0 on
                                 first sight), so the wait is at least that long */
};

struct kernel_thread_state {
    pid_t tid;
    int error;  /* 0, or the errno of reading stat: ENOENT/ESRCH = the thread exited */
    char state; /* stat field 3: R S D T t Z X I, '?' when unknown */
    char comm[KERNEL_STATE_COMM_MAX];
    bool stat_known;      /* `stat` was read: cpu_ticks and last_cpu are valid */
    uint64_t start_ticks; /* stat field 22: tells a reused tid apart; 0 when unknown (a brief
                             read, see KERNEL_STATE_BRIEF) */
    uint64_t cpu_ticks;   /* utime + stime, in clock ticks */
    int last_cpu;         /* stat field 39: the CPU it last ran on, -1 when unknown */

    enum kernel_syscall_state syscall_state;
    int syscall_error;        /* errno when syscall_state is UNREAD */
    long syscall_nr;          /* -1 unless syscall_state is IN */
    const char *syscall_name; /* static; NULL for numbers outside the table */
    uint64_t args[6];
    uint64_t user_sp, user_pc;

    enum kernel_futex_kind futex_kind;
    pid_t join_tid; /* for KERNEL_FUTEX_JOIN: the thread being joined */
    int fd;         /* the fd the call waits on (first one for poll/select), -1 when none */
    int nfds;       /* how many fds a poll/select waits on, 0 otherwise */
    char fd_target[KERNEL_STATE_TARGET_MAX]; /* readlink /proc/self/fd/N: pipe:[..], /path */

    char wchan[KERNEL_STATE_WCHAN_MAX]; /* kernel function it sleeps in, "" when running */
    bool sigblk_known;
    uint64_t sigblk; /* blocked-signal mask: bit (n - 1) is signal n */
    uint64_t voluntary_switches, involuntary_switches;

    bool last_ran_known;
    uint64_t last_ran_ns; /* CLOCK_MONOTONIC when it last left the CPU (from `sched`) */
    uint64_t waiting_ns;  /* how long it has been in this wait; see duration_source */
    enum kernel_duration_source duration_source;

    char wait[KERNEL_STATE_WAIT_MAX]; /* "futex wait (condition)", "read fd 5 (pipe)", "running" */
};

/* Per-CPU offsets from the scheduler clock of `sched` to CLOCK_MONOTONIC. Measuring CPU c moves
 * the calling thread onto c (sched_setaffinity), yields so that its own exec_start is current,
 * reads it (twice, keeping the smaller offset), and restores the thread's affinity: 60-300 µs
 * per CPU, more when the CPU is busy; redone when older than KERNEL_SCHED_CLOCK_MAX_AGE_NS (the
 * offsets drift by the CPU's irq and steal time: 0.36 ms/s was seen here). Owned by one thread at
 * a time. */
struct kernel_sched_clock {
    int ncpus;
    int64_t *offset_ns;    /* CLOCK_MONOTONIC minus the CPU's scheduler clock */
    uint64_t *measured_ns; /* CLOCK_MONOTONIC of the measurement; 0 = never */
    bool *unreachable;     /* the last measurement failed (cpuset, no `sched`); retried */
};

#define KERNEL_SCHED_CLOCK_MAX_AGE_NS 1000000000ull

/* False when the kernel has no `sched` file with se.exec_start (durations are then at-least). */
bool kernel_sched_clock_supported(void);
bool kernel_sched_clock_init(struct kernel_sched_clock *clock);
void kernel_sched_clock_destroy(struct kernel_sched_clock *clock);

/* An fd on /proc/self/task, to read many threads with shorter path walks. -1 on failure; every
 * function taking task_dir accepts -1 and then uses absolute paths. Close it with close(). */
int kernel_state_open_task_dir(void);

enum kernel_state_flags {
    KERNEL_STATE_LAST_RAN = 1u << 0, /* also read `sched` for the last-ran time (+9 µs) */
    /* Two files instead of four, for dumps: `status` (state, name, SigBlk, switches), then
     * `syscall`, last, so that it is as fresh as it can be when the caller acts on it. No `stat`
     * (stat_known stays false: no start_ticks, cpu_ticks or last_cpu; the wait tracker reads it
     * itself for a wait it has not seen) and no `wchan` unless `syscall` is unreadable (the only
     * description that needs it) or KERNEL_STATE_WCHAN asks. */
    KERNEL_STATE_BRIEF = 1u << 1,
    KERNEL_STATE_WCHAN = 1u << 2, /* with BRIEF: read `wchan` anyway (it is shown in JSON) */
};

/* Reads tid's state into out and describes its wait. Returns 0, or -errno when the thread is gone
 * or /proc is unreadable (out->error says the same, and out->wait says "exited"). A readable
 * thread whose `syscall` file is not (EACCES after PR_SET_DUMPABLE 0) still returns 0, and its
 * wait is described from the state and wchan. With KERNEL_STATE_LAST_RAN, a waiting thread's
 * last-ran time is read too, and waiting_ns is set from it (source KERNEL_DURATION_LAST_RAN);
 * clock is the calibration to use, NULL for a process-wide one (behind a mutex). */
int kernel_state_read(int task_dir, pid_t tid, unsigned flags, struct kernel_sched_clock *clock,
                      struct kernel_thread_state *out);

/* Reads only `syscall` again into st's syscall fields (and the fd it names): one file, for a
 * look just before acting on what the first read said. */
void kernel_state_reread_syscall(int task_dir, struct kernel_thread_state *st);

/* The same call, arguments, sp and pc in both reads: the thread has not left that call, or has
 * come back to exactly it. */
bool kernel_state_same_call(const struct kernel_thread_state *a,
                            const struct kernel_thread_state *b);

/* Table lookups. */
const char *kernel_syscall_name(long nr); /* NULL when not in the table */
enum kernel_futex_kind kernel_futex_kind_of(const uint64_t args[6]);
const char *kernel_futex_kind_name(enum kernel_futex_kind kind); /* "condition", "mutex", ... */
const char *kernel_duration_source_name(enum kernel_duration_source source);

/* Rebuilds out->wait from the other fields (kernel_state_read already does it). */
void kernel_state_describe(const struct kernel_thread_state *st, char *buf, size_t len);

/* --- Wait durations across samples --- */

struct kernel_wait_entry; /* private */

struct kernel_wait_tracker {
    struct kernel_wait_entry *entries; /* open addressing on tid; grown, never shrunk */
    size_t capacity, used;
    uint32_t round;
    uint64_t round_now_ns; /* CLOCK_MONOTONIC at kernel_wait_tracker_begin */
    struct kernel_sched_clock clock;
};

void kernel_wait_tracker_init(struct kernel_wait_tracker *t);
void kernel_wait_tracker_destroy(struct kernel_wait_tracker *t);

/* Starts a sampling round. */
void kernel_wait_tracker_begin(struct kernel_wait_tracker *t);

/* Updates st->waiting_ns and duration_source from what the tracker saw in earlier rounds, and
 * remembers this sample. Call after kernel_state_read (without a clock: the tracker reads
 * `sched` itself, with its own clock, and only for waits it has not seen before). Returns false
 * only when memory for a new entry could not be had (st keeps its one-sample estimate). */
bool kernel_wait_tracker_observe(struct kernel_wait_tracker *t, int task_dir,
                                 struct kernel_thread_state *st);

/* Our own signal interrupted tid's wait (it runs the dump handler and blocks again): allow for
 * that one voluntary switch when judging continuity next time. Until it has blocked again, a
 * sample that finds it running keeps the wait rather than ending it. */
void kernel_wait_tracker_note_signal(struct kernel_wait_tracker *t, pid_t tid);

/* The dump handler itself blocked this many times in tid (libunwind's or the loader's lock under
 * contention): allow for those too. */
void kernel_wait_tracker_note_handler_switches(struct kernel_wait_tracker *t, pid_t tid,
                                               unsigned switches);

/* Forgets the threads not observed in this round. */
void kernel_wait_tracker_end(struct kernel_wait_tracker *t);

#endif
