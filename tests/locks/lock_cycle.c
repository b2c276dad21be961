/* Threads waiting for each other's locks (live lock_cycle, docs/locks.md), and their clean twins.
 * lock_cycle MODE:
 *   abba     two threads, each holding one mutex and locking the other's: a real deadlock. main
 *            ends the process after a while (the threads would wait for ever).
 *   three    the same with three threads and three mutexes.
 *   rwlock   two threads, write-holding one rwlock each, then one write-locks and the other
 *            read-locks the other's: a real deadlock.
 *   dissolve a cycle that dissolves: A holds m1 and waits for m2, B holds m2 and locks m1; while B
 *            waits, a signal makes A unlock m1. Expected: no deadlock.
 *   timed    A holds m1 and waits for m2 with a timeout, B holds m2 and locks m1: A gives up and
 *            lets m1 go. Expected: no deadlock.
 *   chain    A waits for m1 held by B, which waits for m2 held by main, which lets it go: waits
 *            that end nowhere near a cycle. Expected: nothing.
 * The clean modes print what happened and exit 0, the same with and without threadleak. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                               PTHREAD_MUTEX_INITIALIZER};
static pthread_rwlock_t rw[2] = {PTHREAD_RWLOCK_INITIALIZER, PTHREAD_RWLOCK_INITIALIZER};
static pthread_barrier_t barrier;
static _Atomic pid_t tids[3];

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* The system call thread tid is in (/proc/self/task/TID/syscall's first field), -1 if running. */
static long syscall_of(pid_t tid)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long nr = -1;
    if (!fgets(text, sizeof text, f) || sscanf(text, "%ld", &nr) != 1)
        nr = -1;
    fclose(f);
    return nr;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Until tid sleeps in futex: it waits in a lock. */
static void wait_until_blocked(pid_t tid)
{
    while (syscall_of(tid) != SYS_futex)
        sleep_ms(1);
}

static int members;

static void *cycle_member(void *arg)
{
    int i = (int)(intptr_t)arg;
    pthread_mutex_lock(&m[i]);
    pthread_barrier_wait(&barrier);
    pthread_mutex_lock(&m[(i + 1) % members]); /* LOCK_CYCLE_WAIT */
    return NULL;
}

/* members threads in a cycle; main waits seconds for the report, then ends the process. */
static int cycle(int n, int seconds)
{
    members = n;
    pthread_barrier_init(&barrier, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, cycle_member, (void *)(intptr_t)i);
        pthread_detach(t);
    }
    sleep((unsigned)seconds);
    return 0;
}

static void *rw_writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw[0]);
    pthread_barrier_wait(&barrier);
    pthread_rwlock_wrlock(&rw[1]); /* RWLOCK_CYCLE_WRITE */
    return NULL;
}

static void *rw_reader(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw[1]);
    pthread_barrier_wait(&barrier);
    pthread_rwlock_rdlock(&rw[0]); /* RWLOCK_CYCLE_READ */
    return NULL;
}

static int rwlock_cycle(int seconds)
{
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, rw_writer, NULL);
    pthread_detach(t);
    pthread_create(&t, NULL, rw_reader, NULL);
    pthread_detach(t);
    sleep((unsigned)seconds);
    return 0;
}

/* --- dissolve --- */

static _Atomic int b_locking;

static void let_m0_go(int sig)
{
    (void)sig;
    pthread_mutex_unlock(&m[0]);
}

static void *dissolve_a(void *arg)
{
    (void)arg;
    tids[0] = gettid_();
    pthread_mutex_lock(&m[0]);
    pthread_barrier_wait(&barrier);
    pthread_mutex_lock(&m[1]); /* waits until B lets m1 go */
    pthread_mutex_unlock(&m[1]);
    return NULL;
}

static void *dissolve_b(void *arg)
{
    (void)arg;
    tids[1] = gettid_();
    pthread_mutex_lock(&m[1]);
    pthread_barrier_wait(&barrier);
    wait_until_blocked(tids[0]); /* A waits for m1: B closes the cycle */
    b_locking = 1;
    pthread_mutex_lock(&m[0]); /* DISSOLVE_B */
    pthread_mutex_unlock(&m[0]);
    pthread_mutex_unlock(&m[1]);
    return NULL;
}

/* B waits (in libc's futex natively; with threadleak first in the re-check's sleep, which is
 * where the signal must come for the cycle to dissolve under its eyes): then A lets m0 go. */
static int dissolve(const char *b_waits_in)
{
    long expected = strcmp(b_waits_in, "sleep") == 0 ? SYS_clock_nanosleep : SYS_futex;
    signal(SIGUSR1, let_m0_go);
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_t a, b;
    pthread_create(&a, NULL, dissolve_a, NULL);
    pthread_create(&b, NULL, dissolve_b, NULL);
    while (!b_locking)
        sleep_ms(1);
    while (syscall_of(tids[1]) != expected)
        sleep_ms(1);
    pthread_kill(a, SIGUSR1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("dissolved: both threads ended\n");
    return 0;
}

/* --- timed --- */

static void *timed_a(void *arg)
{
    (void)arg;
    tids[0] = gettid_();
    pthread_mutex_lock(&m[0]);
    pthread_barrier_wait(&barrier);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 300 * 1000000L;
    if (deadline.tv_nsec >= 1000000000L)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
    int rc = pthread_mutex_timedlock(&m[1], &deadline);
    printf("timedlock: %s\n", strerror(rc));
    pthread_mutex_unlock(&m[0]); /* gives up: B gets m0 */
    return NULL;
}

static void *timed_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m[1]);
    pthread_barrier_wait(&barrier);
    while (!tids[0] || syscall_of(tids[0]) != SYS_futex)
        sleep_ms(1);
    pthread_mutex_lock(&m[0]);
    pthread_mutex_unlock(&m[0]);
    pthread_mutex_unlock(&m[1]);
    return NULL;
}

static int timed(void)
{
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_t a, b;
    pthread_create(&a, NULL, timed_a, NULL);
    pthread_create(&b, NULL, timed_b, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("timed: both threads ended\n");
    return 0;
}

/* --- chain --- */

static void *chain_b(void *arg)
{
    (void)arg;
    tids[1] = gettid_();
    pthread_mutex_lock(&m[1]);
    pthread_barrier_wait(&barrier);
    pthread_mutex_lock(&m[2]); /* held by main */
    pthread_mutex_unlock(&m[2]);
    pthread_mutex_unlock(&m[1]);
    return NULL;
}

static void *chain_a(void *arg)
{
    (void)arg;
    tids[0] = gettid_();
    pthread_mutex_lock(&m[1]); /* held by B */
    pthread_mutex_unlock(&m[1]);
    return NULL;
}

static int chain(void)
{
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_mutex_lock(&m[2]);
    pthread_t a, b;
    pthread_create(&b, NULL, chain_b, NULL);
    pthread_barrier_wait(&barrier);
    wait_until_blocked(tids[1]);
    pthread_create(&a, NULL, chain_a, NULL);
    while (!tids[0])
        sleep_ms(1);
    wait_until_blocked(tids[0]);
    pthread_mutex_unlock(&m[2]);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("chain: both threads ended\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int seconds = argc > 2 ? atoi(argv[2]) : 2;
    int rc;
    if (strcmp(mode, "abba") == 0)
        rc = cycle(2, seconds);
    else if (strcmp(mode, "three") == 0)
        rc = cycle(3, seconds);
    else if (strcmp(mode, "rwlock") == 0)
        rc = rwlock_cycle(seconds);
    else if (strcmp(mode, "dissolve") == 0)
        rc = dissolve(argc > 2 ? argv[2] : "futex");
    else if (strcmp(mode, "timed") == 0)
        rc = timed();
    else if (strcmp(mode, "chain") == 0)
        rc = chain();
    else {
        fprintf(stderr, "usage: lock_cycle abba|three|rwlock [SECONDS] | dissolve futex|sleep | "
                        "timed | chain\n");
        return 2;
    }
    fflush(stdout);
    return rc;
}
