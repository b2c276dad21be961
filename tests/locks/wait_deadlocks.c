/* Threads that wait for each other's end, and processes whose every thread waits for another
 * (live join_cycle and all_asleep, docs/locks.md), and their clean twins.
 * wait_deadlocks MODE [SECONDS]:
 *   join_cycle      two threads joining each other; main ends the process after SECONDS.
 *   join_lock       main holds a mutex and joins a worker that waits to lock it.
 *   cond_forgotten  a worker waits on a condition nobody signals; main joins it.
 *   cond_last       the same, the worker starting its wait after main's join.
 *   barrier_missing two workers wait at a barrier of three; main joins them.
 *   sem_nobody      a worker waits on a semaphore nobody posts; main joins it.
 *   c11_forgotten   cond_forgotten with thrd_t, mtx_t and cnd_t.
 * These never end by themselves: SIGALRM ends them after SECONDS (default 3).
 * Clean twins, each printing what happened and exiting 0, the same with and without threadleak:
 *   accept_server   main blocks in accept() while workers wait on a condition; a child process
 *                   connects, and main wakes them.
 *   timed_wait      workers wait on a condition; main waits on another with a timeout, then
 *                   wakes them.
 *   sem_signal      a worker waits on a semaphore that a SIGALRM handler posts; main joins it.
 *   read_pipe       a worker reads a pipe that a child process writes to; main joins it.
 *   handoff         main signals a worker waiting on a condition and, holding the mutex, waits
 *                   on another: the worker, woken, waits for the mutex until main's wait lets it
 *                   go, then answers. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t sem;
static pthread_t peer[2];
static _Atomic pid_t tids[2];
static _Atomic int started;
static int done;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
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

static void wait_until_in(pid_t tid, long nr)
{
    while (syscall_of(tid) != nr)
        sleep_ms(1);
}

/* --- join_cycle --- */

static void *joiner(void *arg)
{
    int i = (int)(intptr_t)arg;
    tids[i] = (pid_t)syscall(SYS_gettid);
    started++;
    while (started < 2)
        sleep_ms(1);
    pthread_join(peer[1 - i], NULL); /* JOIN_CYCLE_WAIT */
    return NULL;
}

static int join_cycle(int seconds)
{
    pthread_create(&peer[0], NULL, joiner, (void *)0);
    pthread_create(&peer[1], NULL, joiner, (void *)1);
    sleep((unsigned)seconds);
    return 0;
}

/* --- join_lock --- */

static void *locker(void *arg)
{
    (void)arg;
    tids[0] = (pid_t)syscall(SYS_gettid);
    pthread_mutex_lock(&m); /* JOIN_LOCK_WAIT */
    pthread_mutex_unlock(&m);
    return NULL;
}

static int join_lock(void)
{
    pthread_mutex_lock(&m);
    pthread_t t;
    pthread_create(&t, NULL, locker, NULL);
    while (!tids[0])
        sleep_ms(1);
    wait_until_in(tids[0], SYS_futex);
    pthread_join(t, NULL); /* JOIN_LOCK_JOIN */
    return 0;
}

/* --- all_asleep --- */

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!done)
        pthread_cond_wait(&cond, &m); /* COND_FORGOTTEN_WAIT */
    pthread_mutex_unlock(&m);
    return NULL;
}

static int cond_forgotten(void)
{
    pthread_t t;
    pthread_create(&t, NULL, cond_waiter, NULL);
    pthread_join(t, NULL); /* ASLEEP_JOIN */
    return 0;
}

/* The same, the worker's wait starting last: the check is made in a condition wait. */
static _Atomic pid_t main_tid;

static void *late_cond_waiter(void *arg)
{
    while (!main_tid)
        sleep_ms(1);
    wait_until_in(main_tid, SYS_futex);
    return cond_waiter(arg);
}

static int cond_last(void)
{
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t t;
    pthread_create(&t, NULL, late_cond_waiter, NULL);
    pthread_join(t, NULL);
    return 0;
}

static void *barrier_party(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&barrier); /* BARRIER_WAIT */
    return NULL;
}

static int barrier_missing(void)
{
    pthread_barrier_init(&barrier, NULL, 3);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, barrier_party, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 0;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    int rc;
    while ((rc = sem_wait(&sem)) != 0 && errno == EINTR) /* SEM_WAIT */
        ;
    printf("sem_wait: %d\n", rc);
    return NULL;
}

static int sem_nobody(void)
{
    sem_init(&sem, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, sem_waiter, NULL);
    pthread_join(t, NULL);
    return 0;
}

static mtx_t c11_m;
static cnd_t c11_cond;

static int c11_waiter(void *arg)
{
    (void)arg;
    mtx_lock(&c11_m);
    while (!done)
        cnd_wait(&c11_cond, &c11_m); /* C11_WAIT */
    mtx_unlock(&c11_m);
    return 0;
}

static int c11_forgotten(void)
{
    mtx_init(&c11_m, mtx_plain);
    cnd_init(&c11_cond);
    thrd_t t;
    thrd_create(&t, c11_waiter, NULL);
    thrd_join(t, NULL);
    return 0;
}

/* --- clean twins --- */

static void wake_all(void)
{
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&m);
}

static int accept_server(void)
{
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(listener, (struct sockaddr *)&a, sizeof a) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&a, &len) != 0) {
        perror("listener");
        return 1;
    }
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, cond_waiter, NULL);
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(800); /* the workers wait, main is in accept: long enough for any check */
        int s = socket(AF_INET, SOCK_STREAM, 0);
        _exit(connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : 1);
    }
    int conn = accept(listener, NULL, NULL);
    printf("accepted: %s\n", conn >= 0 ? "yes" : "no");
    wake_all();
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    int status;
    waitpid(child, &status, 0);
    printf("workers woken, client exited %d\n", WEXITSTATUS(status));
    return 0;
}

/* The worker waits on cond; main signals it and, still holding m, waits on another condition:
 * the worker, woken, sleeps on m until main's wait releases it. */
static pthread_cond_t reply = PTHREAD_COND_INITIALIZER;
static int answered;

static void *answerer(void *arg)
{
    (void)arg;
    tids[0] = (pid_t)syscall(SYS_gettid);
    pthread_mutex_lock(&m);
    while (!done)
        pthread_cond_wait(&cond, &m);
    answered = 1;
    pthread_cond_signal(&reply);
    pthread_mutex_unlock(&m);
    return NULL;
}

static int handoff(void)
{
    pthread_t t;
    pthread_create(&t, NULL, answerer, NULL);
    while (!tids[0])
        sleep_ms(1);
    wait_until_in(tids[0], SYS_futex);
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_signal(&cond);
    while (!answered)
        pthread_cond_wait(&reply, &m);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
    printf("handoff: answered\n");
    return 0;
}

static int timed_wait(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, cond_waiter, NULL);
    static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
    static pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 1;
    pthread_mutex_lock(&own);
    int rc = pthread_cond_timedwait(&never, &own, &deadline);
    pthread_mutex_unlock(&own);
    printf("timedwait: %s\n", strerror(rc));
    wake_all();
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("timed: workers woken\n");
    return 0;
}

static void post(int sig)
{
    (void)sig;
    sem_post(&sem);
}

static int sem_signal(void)
{
    sem_init(&sem, 0, 0);
    struct sigaction sa = {.sa_handler = post};
    sigaction(SIGALRM, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, sem_waiter, NULL);
    alarm(1);
    pthread_join(t, NULL);
    printf("sem_signal: joined\n");
    return 0;
}

static void *pipe_reader(void *arg)
{
    int fd = *(int *)arg;
    char c = 0;
    ssize_t n = read(fd, &c, 1);
    printf("read %zd byte(s): %c\n", n, c);
    return NULL;
}

static int read_pipe(void)
{
    static int fds[2];
    if (pipe(fds) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, pipe_reader, &fds[0]);
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(800);
        _exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
    }
    pthread_join(t, NULL);
    waitpid(child, NULL, 0);
    printf("read_pipe: joined\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int seconds = argc > 2 ? atoi(argv[2]) : 3;
    int rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "join_cycle") == 0)
        return join_cycle(seconds);
    alarm((unsigned)seconds); /* the deadlocks never end by themselves */
    if (strcmp(mode, "join_lock") == 0)
        rc = join_lock();
    else if (strcmp(mode, "cond_forgotten") == 0)
        rc = cond_forgotten();
    else if (strcmp(mode, "cond_last") == 0)
        rc = cond_last();
    else if (strcmp(mode, "barrier_missing") == 0)
        rc = barrier_missing();
    else if (strcmp(mode, "sem_nobody") == 0)
        rc = sem_nobody();
    else if (strcmp(mode, "c11_forgotten") == 0)
        rc = c11_forgotten();
    else if (strcmp(mode, "accept_server") == 0)
        rc = accept_server();
    else if (strcmp(mode, "handoff") == 0)
        rc = handoff();
    else if (strcmp(mode, "timed_wait") == 0)
        rc = timed_wait();
    else if (strcmp(mode, "sem_signal") == 0)
        rc = sem_signal();
    else if (strcmp(mode, "read_pipe") == 0)
        rc = read_pipe();
    else {
        fprintf(stderr,
                "usage: wait_deadlocks join_cycle|join_lock|cond_forgotten|"
                "cond_last|barrier_missing|sem_nobody|c11_forgotten [SECONDS] | accept_server | "
                "timed_wait | sem_signal | read_pipe | handoff\n");
        return 2;
    }
    return rc;
}
