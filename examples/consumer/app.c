/* A tiny program whose "test suite" runs under tl_verify_main: it starts workers and, unless
 * asked to leak one, joins them all. With --leak the suite leaves a worker running, the check
 * reports it and the status becomes 1; the worker is then stopped, so the process still exits
 * cleanly. */
#include <threadleak.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define WORKERS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_requested = PTHREAD_COND_INITIALIZER;
static bool stopping;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stopping)
        pthread_cond_wait(&stop_requested, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void stop_workers(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&stop_requested);
    pthread_mutex_unlock(&lock);
}

struct suite {
    bool leak;
    pthread_t workers[WORKERS];
};

static int run_suite(void *ctx)
{
    struct suite *s = ctx;
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&s->workers[i], NULL, worker, NULL);
    if (!s->leak) {
        stop_workers();
        for (int i = 0; i < WORKERS; i++)
            pthread_join(s->workers[i], NULL);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct suite s = {.leak = argc > 1 && strcmp(argv[1], "--leak") == 0};
    int status = tl_verify_main(run_suite, &s, &(tl_options){.linger_ms = 100});
    if (s.leak) {
        stop_workers();
        for (int i = 0; i < WORKERS; i++)
            pthread_join(s.workers[i], NULL);
    }
    printf("app: status %d\n", status);
    return status;
}
