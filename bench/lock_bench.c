/* The lock module's costs (cases L1-L5 in cases.c, docs/locks.md): prints one metric=VALUE.
 *
 *   lock_bench nothing_held N   ns per lock+unlock of one mutex, no other lock held
 *   lock_bench one_held N       the same while holding another mutex: one edge lookup each
 *   lock_bench contended N T    ns per lock+unlock of one mutex shared by T threads (total / ops)
 *   lock_bench distinct M       bytes of resident memory per mutex, M mutexes each taken once
 *                               under another one (so that each is tracked)
 *
 * The loops call through the PLT as any program does; nothing is inlined away (the mutex is
 * reached through a volatile pointer). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *volatile target = &inner;
static long per_thread;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void lock_unlock(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(target);
        pthread_mutex_unlock(target);
    }
}

static void *contender(void *arg)
{
    lock_unlock(per_thread);
    return arg;
}

/* VmRSS in KiB. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: lock_bench nothing_held|one_held|contended|distinct N [THREADS]\n");
        return 2;
    }
    if (strcmp(mode, "nothing_held") == 0 || strcmp(mode, "one_held") == 0) {
        bool hold = strcmp(mode, "one_held") == 0;
        if (hold)
            pthread_mutex_lock(&outer);
        lock_unlock(n / 10); /* warm-up: the first calls resolve and claim */
        double t0 = now_ns();
        lock_unlock(n);
        double t1 = now_ns();
        if (hold)
            pthread_mutex_unlock(&outer);
        printf("ns_per_pair=%.3f\n", (t1 - t0) / n);
    } else if (strcmp(mode, "contended") == 0) {
        int threads = argc > 3 ? atoi(argv[3]) : 4;
        pthread_t t[64];
        per_thread = n / threads;
        double t0 = now_ns();
        for (int i = 0; i < threads && i < 64; i++)
            pthread_create(&t[i], NULL, contender, NULL);
        for (int i = 0; i < threads && i < 64; i++)
            pthread_join(t[i], NULL);
        double t1 = now_ns();
        printf("ns_per_pair=%.3f\n", (t1 - t0) / (per_thread * threads));
    } else if (strcmp(mode, "distinct") == 0) {
        pthread_mutex_t *all = calloc((size_t)n, sizeof *all);
        if (!all)
            return 1;
        /* Zeroes are PTHREAD_MUTEX_INITIALIZER; writing them touches the array's pages before
         * the baseline, so the difference is what the locks' first use costs. */
        memset(all, 0, (size_t)n * sizeof *all);
        long before = rss_kib();
        /* Each taken under another lock: a lock taken with nothing held never enters the lock
         * table (docs/locks.md, "What it costs"), so this is the case where every one is
         * tracked. */
        pthread_mutex_lock(&outer);
        for (long i = 0; i < n; i++) {
            pthread_mutex_lock(&all[i]);
            pthread_mutex_unlock(&all[i]);
        }
        pthread_mutex_unlock(&outer);
        long after = rss_kib();
        printf("bytes_per_lock=%.1f\n", (after - before) * 1024.0 / n);
        free(all);
    } else {
        fprintf(stderr, "lock_bench: unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
