/* The program the endpoint tests run under the shim.
 *
 *   test_endpoint_prog blocked SECONDS   3 threads in blocked_in_cond_wait, "reader" in
 *                                        blocked_in_pipe_read, "sleeper" in sleeping_in_nanosleep;
 *                                        on SIGTERM or after SECONDS, releases and joins them all
 *                                        and exits 0 (a clean exit report)
 *   test_endpoint_prog churn SECONDS     the same, plus 2 threads creating and joining short-lived
 *                                        threads as fast as they can
 *   test_endpoint_prog hung              the blocked threads, and main joins one that never ends
 *   test_endpoint_prog main_exits        main starts a detached thread that works 300 ms, then
 *                                        calls pthread_exit: the process must end with it
 *
 * Prints "ready" on stdout once every thread is started, and "heartbeats=N" at a clean exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAITERS  3
#define CHURNERS 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool released;
static int pipe_fds[2];
static atomic_bool stop;
static volatile sig_atomic_t terminate;

__attribute__((noinline)) static void *blocked_in_cond_wait(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!released)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

__attribute__((noinline)) static void *blocked_in_pipe_read(void *arg)
{
    char c;
    while (read(pipe_fds[0], &c, 1) < 0 && errno == EINTR)
        ;
    return arg;
}

__attribute__((noinline)) static void *sleeping_in_nanosleep(void *arg)
{
    while (!atomic_load(&stop)) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL); /* the dump signal cuts it short: loop */
    }
    return arg;
}

static void *short_lived(void *arg)
{
    return arg;
}

__attribute__((noinline)) static void *churning(void *arg)
{
    while (!atomic_load(&stop)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) == 0)
            pthread_join(t, NULL);
    }
    return arg;
}

static void on_term(int sig)
{
    (void)sig;
    terminate = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct threads {
    pthread_t waiters[WAITERS], reader, sleeper, churners[CHURNERS];
    int churner_count;
};

__attribute__((noinline)) static void start_threads(struct threads *t, bool churn)
{
    for (int i = 0; i < WAITERS; i++)
        pthread_create(&t->waiters[i], NULL, blocked_in_cond_wait, NULL);
    pthread_create(&t->reader, NULL, blocked_in_pipe_read, NULL);
    pthread_setname_np(t->reader, "reader");
    pthread_create(&t->sleeper, NULL, sleeping_in_nanosleep, NULL);
    pthread_setname_np(t->sleeper, "sleeper");
    t->churner_count = churn ? CHURNERS : 0;
    for (int i = 0; i < t->churner_count; i++)
        pthread_create(&t->churners[i], NULL, churning, NULL);
}

static void stop_threads(struct threads *t)
{
    atomic_store(&stop, true);
    pthread_mutex_lock(&lock);
    released = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    if (write(pipe_fds[1], "x", 1) != 1)
        perror("write");
    for (int i = 0; i < WAITERS; i++)
        pthread_join(t->waiters[i], NULL);
    pthread_join(t->reader, NULL);
    pthread_join(t->sleeper, NULL);
    for (int i = 0; i < t->churner_count; i++)
        pthread_join(t->churners[i], NULL);
}

__attribute__((noinline)) static void *last_worker(void *arg)
{
    struct timespec ts = {0, 300 * 1000 * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    printf("heartbeats=1\n"); /* what a clean end prints */
    fflush(stdout);
    return arg;
}

static void main_exits(void)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, last_worker, NULL);
    printf("ready\n");
    fflush(stdout);
    pthread_exit(NULL);
}

/* "own_handler": the program takes the dump request signal for itself in main, after the shim
 * installed its listener there; a request sent anyway would run this. */
static void on_own_signal(int signo)
{
    (void)signo;
    static const char ran[] = "own handler ran\n";
    ssize_t ignored = write(STDOUT_FILENO, ran, sizeof ran - 1);
    (void)ignored;
}

int main(int argc, char **argv)
{
    if (argc < 2 || pipe(pipe_fds) != 0)
        return 2;
    if (strcmp(argv[1], "main_exits") == 0)
        main_exits();
    signal(SIGTERM, on_term);
    if (strcmp(argv[1], "own_handler") == 0)
        signal(SIGRTMIN + 5, on_own_signal); /* common/dump_protocol.h's request signal */
    struct threads t;
    start_threads(&t, strcmp(argv[1], "churn") == 0);
    printf("ready\n");
    fflush(stdout);
    if (strcmp(argv[1], "hung") == 0) {
        pthread_join(t.waiters[0], NULL); /* never returns: nothing releases it */
        return 3;
    }
    double deadline = now_s() + (argc > 2 ? atof(argv[2]) : 60.0);
    unsigned long heartbeats = 0;
    while (!terminate && now_s() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        heartbeats++;
    }
    stop_threads(&t);
    printf("heartbeats=%lu\n", heartbeats);
    return 0;
}
