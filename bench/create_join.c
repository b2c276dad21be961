/* P1/P1b/P6 load: PAIRS pthread_create+pthread_join pairs spread over CREATORS creator threads,
 * each creation made DEPTH frames below the creator's entry so that creation stacks are as deep
 * as in real programs.
 *
 * usage: create_join [PAIRS=20000] [CREATORS=1] [DEPTH=8]
 * prints: us_per_pair=<wall µs per pair, in-process>  total_ms=<loop wall time>
 * CREATORS=1 creates from the main thread itself; more start that many creator threads. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct creator_job {
    long pairs;
    int depth;
    int failures;
};

static void *trivial_thread(void *arg)
{
    return arg;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static __attribute__((noinline)) int create_and_join_once(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, trivial_thread, NULL) != 0)
        return 1;
    return pthread_join(t, NULL) != 0;
}

/* A real call per level: noinline, and work after the call so that it cannot become a jump. */
static __attribute__((noinline)) int descend_then_create(int depth)
{
    if (depth <= 1)
        return create_and_join_once();
    int failed = descend_then_create(depth - 1);
    __asm__ volatile("" ::: "memory");
    return failed;
}

static void *run_creator(void *arg)
{
    struct creator_job *job = arg;
    for (long i = 0; i < job->pairs; i++)
        job->failures += descend_then_create(job->depth);
    return NULL;
}

static int run_creators(struct creator_job *jobs, int creators)
{
    if (creators == 1) {
        run_creator(&jobs[0]);
        return jobs[0].failures;
    }
    pthread_t *threads = calloc((size_t)creators, sizeof *threads);
    int failures = 0;
    for (int c = 0; c < creators; c++)
        failures += pthread_create(&threads[c], NULL, run_creator, &jobs[c]) != 0;
    for (int c = 0; c < creators; c++) {
        pthread_join(threads[c], NULL);
        failures += jobs[c].failures;
    }
    free(threads);
    return failures;
}

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 20000;
    int creators = argc > 2 ? atoi(argv[2]) : 1;
    int depth = argc > 3 ? atoi(argv[3]) : 8;
    if (pairs < 1 || creators < 1 || depth < 1) {
        fprintf(stderr, "usage: create_join [PAIRS] [CREATORS] [DEPTH]\n");
        return 2;
    }
    struct creator_job *jobs = calloc((size_t)creators, sizeof *jobs);
    for (int c = 0; c < creators; c++) {
        jobs[c].pairs = pairs / creators + (c < pairs % creators);
        jobs[c].depth = depth;
    }
    double start = now_seconds();
    int failures = run_creators(jobs, creators);
    double elapsed = now_seconds() - start;
    free(jobs);
    printf("us_per_pair=%.3f\ntotal_ms=%.3f\n", elapsed * 1e6 / (double)pairs, elapsed * 1e3);
    if (failures) {
        fprintf(stderr, "create_join: %d pthread_create/join failures\n", failures);
        return 1;
    }
    return 0;
}
