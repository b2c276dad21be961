/* worker_pool_partial_join: a worker pool whose shutdown joins only some of its workers.
 *
 * Go pattern: a WaitGroup whose Add count does not match the goroutines started.
 *
 * The bug: the pool has min_workers (2) and max_workers (4). pool_start spawns max_workers,
 * pool_shutdown joins min_workers -- the wrong field. All four workers finish once the job list
 * is drained, so the last two end up finished but never joined.
 *
 * Expected: two finished, joinable leaks of `pool_worker`, created by main. TSan reports them as
 * one thread leak created in pool_start, "And 1 more similar thread leaks".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_WORKERS 4
#define JOB_COUNT   40

struct pool {
    size_t min_workers;
    size_t max_workers;
    pthread_t workers[MAX_WORKERS];
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int next_job;
    size_t running;
    long checksum;
};

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    pthread_mutex_lock(&p->lock);
    while (p->next_job < JOB_COUNT) {
        int job = p->next_job++;
        pthread_mutex_unlock(&p->lock);
        long result = (long)job * job; /* the "work" */
        pthread_mutex_lock(&p->lock);
        p->checksum += result;
    }
    if (--p->running == 0)
        pthread_cond_broadcast(&p->idle);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void pool_start(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->running = p->max_workers; /* before any worker can finish and count down */
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->max_workers; i++) {
        if (pthread_create(&p->workers[i], NULL, pool_worker, p) != 0) {
            perror("pthread_create");
            exit(1);
        }
    }
}

static void pool_wait_idle(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->running > 0 || p->next_job < JOB_COUNT)
        pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void pool_shutdown(struct pool *p)
{
    for (size_t i = 0; i < p->min_workers; i++) /* should be max_workers */
        pthread_join(p->workers[i], NULL);
}

int main(void)
{
    static struct pool pool = {
        .min_workers = 2,
        .max_workers = MAX_WORKERS,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .idle = PTHREAD_COND_INITIALIZER,
    };
    pool_start(&pool);
    pool_wait_idle(&pool);
    pool_shutdown(&pool);
    printf("pool_partial_join: checksum %ld\n", pool.checksum);
    /* Let the unjoined workers finish returning, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
