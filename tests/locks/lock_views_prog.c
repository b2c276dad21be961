/* Lock state in thread dumps and on /debug/locks (docs/live-stacks.md, docs/endpoint.md): a
 * "waiter" thread holds lock_a and waits for lock_b, which a "holder" thread holds while it
 * waits on a condition variable. Not a deadlock: the holder lets lock_b go when released. The
 * waits that are not lock calls too (but for asleep): a "joiner" thread joins the waiter, a
 * "sem_waiter" waits on a semaphore at 0 and a "barrier_waiter" at a barrier for two.
 *
 *   lock_views_prog wait     prints "ready" once the waiter is blocked in pthread_mutex_lock
 *                            (and the others in theirs), then waits for SIGTERM (or SIGINT),
 *                            releases them all, joins them and prints what their calls returned
 *   lock_views_prog stuck    the same, but nothing releases the holder: for --timeout
 *   lock_views_prog asleep   the holder sleeps in poll instead of waiting on the condition: a
 *                            dump does not interrupt it, and only its waiter can say what it holds;
 *                            SIGTERM ends the run
 *
 * What the threads' calls return is printed so that a run whose threads were dumped meanwhile
 * can be compared with one whose were not: same return values, same errno, no wake-up of the
 * condition wait before it was signalled. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int released;
static int asleep;
static int wake_pipe[2];
static _Atomic int holder_holds_b;
static _Atomic pid_t waiter_tid;
static pid_t holder_tid;

static pthread_t waiter_thread;
static sem_t sem;
static pthread_barrier_t barrier;
static _Atomic pid_t joiner_tid, sem_tid, barrier_tid;

struct result {
    int rc, err, released_at_wake;
};
static struct result holder_wait, waiter_lock, joiner_join, sem_wait_result, barrier_wait;

static void *holder(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "holder"); /* before any lock: edges carry the name */
    holder_tid = (pid_t)syscall(SYS_gettid);
    pthread_mutex_lock(&lock_b); /* LOCK_B_TAKEN */
    if (asleep) {
        atomic_store(&holder_holds_b, 1);
        /* poll is never restarted after a handler, so the dump never interrupts it */
        struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};
        while (poll(&p, 1, -1) < 0) /* HOLDER_ASLEEP */
            ;
        pthread_mutex_unlock(&lock_b);
        return NULL;
    }
    pthread_mutex_lock(&gate);
    atomic_store(&holder_holds_b, 1);
    errno = 0;
    /* One wait, no loop: a wake-up before the release would show as released_at_wake 0. */
    holder_wait.rc = pthread_cond_wait(&gate_cond, &gate);
    holder_wait.err = errno;
    holder_wait.released_at_wake = released;
    pthread_mutex_unlock(&gate);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "waiter");
    atomic_store(&waiter_tid, (pid_t)syscall(SYS_gettid));
    pthread_mutex_lock(&lock_a); /* LOCK_A_TAKEN */
    errno = 0;
    waiter_lock.rc = pthread_mutex_lock(&lock_b); /* LOCK_B_WAITED */
    waiter_lock.err = errno;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *joiner(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "joiner");
    atomic_store(&joiner_tid, (pid_t)syscall(SYS_gettid));
    joiner_join.rc = pthread_join(waiter_thread, NULL); /* JOIN_WAITED */
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "sem_waiter");
    atomic_store(&sem_tid, (pid_t)syscall(SYS_gettid));
    errno = 0;
    sem_wait_result.rc = sem_wait(&sem); /* SEM_WAITED */
    sem_wait_result.err = errno;
    return NULL;
}

static void *barrier_waiter(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "barrier_waiter");
    atomic_store(&barrier_tid, (pid_t)syscall(SYS_gettid));
    int rc = pthread_barrier_wait(&barrier); /* BARRIER_WAITED */
    barrier_wait.rc = rc == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : rc;
    return NULL;
}

/* Thread tid is asleep in the system call nr (on x86-64) or arm64_nr, by /proc. */
static int in_call(pid_t tid, const char *nr, const char *arm64_nr)
{
    char path[64], line[64] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    return ok &&
           (strncmp(line, nr, strlen(nr)) == 0 || strncmp(line, arm64_nr, strlen(arm64_nr)) == 0);
}

/* Thread tid (0: not started yet) is asleep in the kernel's futex wait. */
static int in_futex(pid_t tid)
{
    return tid != 0 && in_call(tid, "202 ", "98 ");
}

static int waiter_blocked(void)
{
    return in_futex(atomic_load(&waiter_tid));
}

static int others_blocked(void)
{
    return in_futex(atomic_load(&joiner_tid)) && in_futex(atomic_load(&sem_tid)) &&
           in_futex(atomic_load(&barrier_tid));
}

/* The asleep holder is in poll (ppoll underneath on some libcs and on arm64). */
static int holder_in_poll(void)
{
    return in_call(holder_tid, "7 ", "73 ") || in_call(holder_tid, "271 ", "73 ");
}

int main(int argc, char **argv)
{
    int stuck = argc > 1 && strcmp(argv[1], "stuck") == 0;
    asleep = argc > 1 && strcmp(argv[1], "asleep") == 0;
    if (asleep && pipe(wake_pipe) != 0)
        return 2;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the threads inherit it */
    pthread_t h, w, j, sw, bw;
    pthread_create(&h, NULL, holder, NULL);
    while (!atomic_load(&holder_holds_b))
        usleep(1000);
    pthread_create(&w, NULL, waiter, NULL);
    waiter_thread = w;
    if (!asleep) {
        sem_init(&sem, 0, 0);
        pthread_barrier_init(&barrier, NULL, 2);
        pthread_create(&j, NULL, joiner, NULL);
        pthread_create(&sw, NULL, sem_waiter, NULL);
        pthread_create(&bw, NULL, barrier_waiter, NULL);
    }
    while (!waiter_blocked() || (asleep ? !holder_in_poll() : !others_blocked()))
        usleep(1000);
    printf("lock_a=%p lock_b=%p holder=%d waiter=%d\n", (void *)&lock_a, (void *)&lock_b,
           (int)holder_tid, (int)atomic_load(&waiter_tid));
    if (!asleep)
        printf("cond=%p gate=%p join=%#lx joiner=%d sem=%p sem_waiter=%d barrier=%p "
               "barrier_waiter=%d\n",
               (void *)&gate_cond, (void *)&gate, (unsigned long)w, (int)atomic_load(&joiner_tid),
               (void *)&sem, (int)atomic_load(&sem_tid), (void *)&barrier,
               (int)atomic_load(&barrier_tid));
    printf("ready\n");
    fflush(stdout);
    if (stuck)
        for (;;)
            pause();
    int sig;
    sigwait(&stop, &sig);
    if (asleep) {
        if (write(wake_pipe[1], "x", 1) != 1)
            return 2;
        pthread_join(h, NULL);
        pthread_join(w, NULL);
        printf("asleep: done\n");
        return 0;
    }
    pthread_mutex_lock(&gate);
    released = 1;
    pthread_cond_signal(&gate_cond);
    pthread_mutex_unlock(&gate);
    sem_post(&sem);
    int rc = pthread_barrier_wait(&barrier);
    pthread_join(h, NULL);
    pthread_join(j, NULL); /* which joined the waiter */
    pthread_join(sw, NULL);
    pthread_join(bw, NULL);
    printf("holder cond_wait rc=%d errno=%d released_at_wake=%d\n", holder_wait.rc, holder_wait.err,
           holder_wait.released_at_wake);
    printf("waiter mutex_lock rc=%d errno=%d\n", waiter_lock.rc, waiter_lock.err);
    printf("joiner join rc=%d\n", joiner_join.rc);
    printf("sem_waiter sem_wait rc=%d errno=%d\n", sem_wait_result.rc, sem_wait_result.err);
    printf("barrier rc=%d %d\n", barrier_wait.rc,
           rc == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : rc); /* one of the two is the serial one */
    printf("heartbeats=0\n"); /* what the endpoint tests' stop expects of a clean exit */
    return 0;
}
