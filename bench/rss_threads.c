/* P5 load: resident memory per live thread. After one thread made and joined (the one-time
 * costs), starts THREADS threads that block on a condition variable, reads VmRSS before and
 * after, then releases and joins them all (no leak).
 *
 * usage: rss_threads [THREADS=1000]
 * prints: rss_growth_kib=<VmRSS after - before>  rss_kib_per_thread=<that / THREADS> */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_changed = PTHREAD_COND_INITIALIZER;
static long threads_waiting;
static int gate_open;

static void *wait_at_gate(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    threads_waiting++;
    pthread_cond_broadcast(&gate_changed);
    while (!gate_open)
        pthread_cond_wait(&gate_changed, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return arg;
}

static long vm_rss_kib(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (status)
        fclose(status);
    return kib;
}

/* Every thread must have run up to its wait, so that its stack and TLS pages are resident. */
static void wait_until_all_blocked(long n)
{
    pthread_mutex_lock(&gate_lock);
    while (threads_waiting < n)
        pthread_cond_wait(&gate_changed, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void *return_at_once(void *arg)
{
    return arg;
}

static void open_gate(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_changed);
    pthread_mutex_unlock(&gate_lock);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    if (n < 1) {
        fprintf(stderr, "usage: rss_threads [THREADS]\n");
        return 2;
    }
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    /* One thread first, made and joined before the first reading: what a process pays once, on
     * its first thread (the shim loads libunwind then, about 300 KiB resident), is not a cost
     * per thread. */
    pthread_t first;
    if (pthread_create(&first, NULL, return_at_once, NULL) == 0)
        pthread_join(first, NULL);
    long before = vm_rss_kib();
    for (long i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, wait_at_gate, NULL) != 0) {
            fprintf(stderr, "rss_threads: pthread_create failed at %ld\n", i);
            return 1;
        }
    wait_until_all_blocked(n);
    long after = vm_rss_kib();
    open_gate();
    for (long i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    printf("rss_growth_kib=%ld\nrss_kib_per_thread=%.3f\n", after - before,
           (double)(after - before) / (double)n);
    return before < 0 || after < 0;
}
