/* two_leak_sites: finished, unjoined threads from two different creation sites.
 *
 * The bug: a batch importer starts three prefetch threads (start_prefetchers) and one audit
 * writer (start_audit_writer). It waits for all four to report done through a counter, but joins
 * none of them.
 *
 * Expected: four finished, joinable leaks created by main: `prefetch_chunk` x3 and
 * `write_audit_record` x1. TSan merges leaks by creation stack, so it prints two thread-leak
 * reports: one created in start_prefetchers ("And 2 more similar thread leaks") and one in
 * start_audit_writer.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PREFETCHERS 3

struct batch {
    pthread_mutex_t lock;
    pthread_cond_t progress;
    int finished_tasks;
    long prefetched_bytes;
    int audit_records;
};

static void task_done(struct batch *b)
{
    b->finished_tasks++;
    pthread_cond_broadcast(&b->progress);
}

static void *prefetch_chunk(void *arg)
{
    struct batch *b = arg;
    pthread_mutex_lock(&b->lock);
    b->prefetched_bytes += 64 * 1024;
    task_done(b);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void *write_audit_record(void *arg)
{
    struct batch *b = arg;
    pthread_mutex_lock(&b->lock);
    b->audit_records++;
    task_done(b);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

void start_prefetchers(struct batch *b, pthread_t *threads)
{
    for (int i = 0; i < PREFETCHERS; i++)
        if (pthread_create(&threads[i], NULL, prefetch_chunk, b) != 0) {
            perror("pthread_create");
            exit(1);
        }
}

void start_audit_writer(struct batch *b, pthread_t *thread)
{
    if (pthread_create(thread, NULL, write_audit_record, b) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

int main(void)
{
    static struct batch batch = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .progress = PTHREAD_COND_INITIALIZER,
    };
    pthread_t prefetchers[PREFETCHERS], auditor; /* kept, but never joined */
    start_prefetchers(&batch, prefetchers);
    start_audit_writer(&batch, &auditor);

    pthread_mutex_lock(&batch.lock);
    while (batch.finished_tasks < PREFETCHERS + 1)
        pthread_cond_wait(&batch.progress, &batch.lock);
    pthread_mutex_unlock(&batch.lock);
    printf("two_leak_sites: prefetched %ld bytes, %d audit record(s)\n", batch.prefetched_bytes,
           batch.audit_records);
    /* Let the tasks finish returning, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
