/* A server in miniature for the growth endpoint's tests (docs/endpoint.md, /debug/threads/growth).
 *
 *   growth_prog leak    a pool of 4 workers started at once and kept; a "request" every 20 ms,
 *                       whose handler leaks a thread blocked for good; and a load that scales a
 *                       group of threads from 0 to 6 and back, over and over
 *   growth_prog steady  the pool and the scaling load, no leak
 *
 * Prints "leak_site=LINE" (the line that creates the leaked threads) and "ready", then runs until
 * SIGTERM, and exits 0 at once without joining anything (the tests run it with exitcode=0). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL          4
#define SCALE_MAX     6
#define REQUEST_MS    20
#define SCALE_STEP_MS 40

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static atomic_bool scale_down;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

__attribute__((noinline)) static void *blocked_for_good(void *arg)
{
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return arg;
}

__attribute__((noinline)) static void *pool_worker(void *arg)
{
    return blocked_for_good(arg);
}

__attribute__((noinline)) static void *scaled_worker(void *arg)
{
    while (!atomic_load(&scale_down))
        sleep_ms(5);
    return arg;
}

enum { LEAK_SITE_LINE = __LINE__ + 5 }; /* the pthread_create below */
/* The bug: a thread per request that nobody stops. */
__attribute__((noinline)) static void handle_request(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, blocked_for_good, NULL) == 0)
        pthread_detach(t);
}

/* Scales up to SCALE_MAX threads one step at a time, then all of them down, for ever. */
static void *scaler(void *arg)
{
    for (;;) {
        pthread_t t[SCALE_MAX];
        atomic_store(&scale_down, false);
        for (int i = 0; i < SCALE_MAX; i++) {
            pthread_create(&t[i], NULL, scaled_worker, NULL);
            sleep_ms(SCALE_STEP_MS);
        }
        atomic_store(&scale_down, true);
        for (int i = 0; i < SCALE_MAX; i++)
            pthread_join(t[i], NULL);
        sleep_ms(SCALE_STEP_MS);
    }
    return arg;
}

static void start_pool(void)
{
    for (int i = 0; i < POOL; i++) {
        pthread_t t;
        pthread_create(&t, NULL, pool_worker, NULL);
    }
}

static volatile sig_atomic_t terminate;

static void on_term(int sig)
{
    (void)sig;
    terminate = 1;
}

int main(int argc, char **argv)
{
    bool leak = argc > 1 && strcmp(argv[1], "leak") == 0;
    signal(SIGTERM, on_term);
    start_pool();
    pthread_t load;
    pthread_create(&load, NULL, scaler, NULL);
    printf("leak_site=%d\nready\n", LEAK_SITE_LINE);
    fflush(stdout);
    while (!terminate) {
        if (leak)
            handle_request();
        sleep_ms(REQUEST_MS);
    }
    _exit(0);
}
