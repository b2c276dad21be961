/* pthread_exit_main: main ends with pthread_exit and lets its workers finish the job.
 *
 * No bug: main joins the report writer it needs, detaches the two background compressors, and
 * calls pthread_exit. The process lives on until the last detached worker returns, then exits
 * with status 0. Every thread is either joined or detached and all of them finish.
 *
 * Expected: clean. TSan: a TSan build hangs at exit when main calls pthread_exit (both clang
 * and gcc); run it under `timeout -s KILL`.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define COMPRESSORS 2

static atomic_long bytes_compressed;

static void *compress_segment(void *arg)
{
    long segment = (long)arg;
    nanosleep(&(struct timespec){.tv_nsec = 30 * 1000000L}, NULL); /* the "work" */
    atomic_fetch_add(&bytes_compressed, 1024 * (segment + 1));
    return NULL;
}

static void *write_report(void *arg)
{
    (void)arg;
    printf("pthread_exit_main: report written\n");
    return NULL;
}

static void start_detached(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &attr, fn, arg) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_attr_destroy(&attr);
}

int main(void)
{
    pthread_t reporter;
    if (pthread_create(&reporter, NULL, write_report, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(reporter, NULL);
    for (long i = 0; i < COMPRESSORS; i++)
        start_detached(compress_segment, (void *)i);
    pthread_exit(NULL); /* the process exits 0 when the last compressor returns */
}
