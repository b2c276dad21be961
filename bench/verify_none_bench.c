/* verify_none_bench: what tl_verify_none costs.
 *
 *   verify_none_bench [THREADS] [--all]
 *
 * P3 (always): THREADS (default 1000) live threads, all ignored through a snapshot; the median of
 * many clean tl_verify_none calls. Prints a JSON line and `verify_none_ms=MEDIAN` for the harness.
 * With --all, also:
 *   leak:   one leaked thread and a linger budget; the call should take the budget and no more.
 *   linger: threads that exit 20 ms into the budget; the call should return then, not at the end.
 * Links libthreadleak.so; no preload needed. */
#define _GNU_SOURCE
#include "threadleak.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define P3_RUNS       501
#define LEAK_RUNS     5
#define LEAK_BUDGET   100
#define LINGER_RUNS   5
#define LINGER_EXIT   20
#define LINGER_BUDGET 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t opened = PTHREAD_COND_INITIALIZER;
static bool open_gate;

static void *parked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!open_gate)
        pthread_cond_wait(&opened, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *exits_soon(void *arg)
{
    struct timespec ts = {0, (long)(size_t)arg * 1000000L};
    nanosleep(&ts, NULL);
    return NULL;
}

static void release_all(void)
{
    pthread_mutex_lock(&lock);
    open_gate = true;
    pthread_cond_broadcast(&opened);
    pthread_mutex_unlock(&lock);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare_doubles(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return v[n / 2];
}

static pthread_t *start_parked(size_t n)
{
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    pthread_t *t = calloc(n ? n : 1, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        if (pthread_create(&t[i], &small, parked, NULL) != 0) {
            fprintf(stderr, "verify_none_bench: cannot create thread %zu\n", i);
            exit(2);
        }
    }
    pthread_attr_destroy(&small);
    return t;
}

static int bench_p3(size_t threads)
{
    pthread_t *t = start_parked(threads);
    tl_snapshot *snap = tl_snapshot_take();
    tl_options opts = {.ignore_current = snap};
    static double samples[P3_RUNS];
    for (size_t i = 0; i < P3_RUNS; i++) {
        double start = now_ms();
        int leaked = tl_verify_none(&opts);
        samples[i] = now_ms() - start;
        if (leaked != 0) {
            fprintf(stderr, "verify_none_bench: %d unexpected leaks\n", leaked);
            return 1;
        }
    }
    double first = samples[0];
    double med = median(samples, P3_RUNS);
    printf("{\"case\":\"P3\",\"threads\":%zu,\"runs\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
           "\"p90_ms\":%.4f,\"first_ms\":%.4f}\n",
           threads, P3_RUNS, med, samples[0], samples[P3_RUNS * 9 / 10], first);
    printf("verify_none_ms=%.4f\n", med);
    tl_snapshot_free(snap);
    release_all();
    for (size_t i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    return 0;
}

/* One thread leaks: the verdict must come after the budget, and soon after it. */
static int bench_leak(void)
{
    open_gate = false;
    pthread_t *t = start_parked(1);
    FILE *sink = fopen("/dev/null", "w");
    tl_options opts = {.linger_ms = LEAK_BUDGET, .out = sink};
    double samples[LEAK_RUNS];
    for (size_t i = 0; i < LEAK_RUNS; i++) {
        double start = now_ms();
        int leaked = tl_verify_none(&opts);
        samples[i] = now_ms() - start;
        if (leaked != 1)
            return 1;
    }
    double med = median(samples, LEAK_RUNS);
    printf("{\"case\":\"leak\",\"threads\":1,\"budget_ms\":%d,\"median_ms\":%.3f,"
           "\"over_budget_ms\":%.3f}\n",
           LEAK_BUDGET, med, med - LEAK_BUDGET);
    fclose(sink);
    release_all();
    pthread_join(t[0], NULL);
    free(t);
    return 0;
}

/* Detached threads exit LINGER_EXIT ms in: the verdict must come then, far before the budget. */
static int bench_linger(void)
{
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    tl_options opts = {.linger_ms = LINGER_BUDGET};
    double samples[LINGER_RUNS];
    for (size_t i = 0; i < LINGER_RUNS; i++) {
        double start = now_ms();
        for (int k = 0; k < 4; k++) {
            pthread_t t;
            pthread_create(&t, &detached, exits_soon, (void *)(size_t)LINGER_EXIT);
        }
        int leaked = tl_verify_none(&opts);
        samples[i] = now_ms() - start;
        if (leaked != 0)
            return 1;
    }
    pthread_attr_destroy(&detached);
    double med = median(samples, LINGER_RUNS);
    printf("{\"case\":\"linger\",\"threads\":4,\"exit_after_ms\":%d,\"budget_ms\":%d,"
           "\"median_ms\":%.3f}\n",
           LINGER_EXIT, LINGER_BUDGET, med);
    return 0;
}

int main(int argc, char **argv)
{
    size_t threads = 1000;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0)
            all = true;
        else
            threads = strtoul(argv[i], NULL, 10);
    }
    int rc = bench_p3(threads);
    if (rc == 0 && all)
        rc = bench_leak() || bench_linger();
    return rc;
}
