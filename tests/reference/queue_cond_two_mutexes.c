/* queue_cond_two_mutexes: one "work available" condition variable shared by two queues, each with
 * its own mutex.
 *
 * The bug: the fast queue and the bulk queue each have a mutex, but a refactoring left them one
 * condition variable, `work_ready`. A fast consumer waits on it with the fast queue's mutex while
 * a bulk consumer waits on it with the bulk queue's mutex. POSIX makes that undefined (all
 * concurrent waits on a condition variable must use the same mutex); glibc lets it pass.
 *
 * The program makes the two waits overlap for certain: main starts the bulk consumer only after
 * the fast one is inside pthread_cond_wait (main can lock the fast mutex and sees `waiting` set),
 * and wakes both only after the bulk one is waiting too.
 *
 * Expected: clean for the leak check. With the lock module: one cond_wrong_mutex, in
 * consume_bulk's wait. TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct queue {
    pthread_mutex_t lock;
    bool waiting;
    unsigned jobs;
};

static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER; /* one for both queues: the bug */
static struct queue fast_queue = {PTHREAD_MUTEX_INITIALIZER, false, 0};
static struct queue bulk_queue = {PTHREAD_MUTEX_INITIALIZER, false, 0};

static unsigned take_job(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->waiting = true;
    while (q->jobs == 0)
        pthread_cond_wait(&work_ready, &q->lock);
    q->jobs--;
    pthread_mutex_unlock(&q->lock);
    return 1;
}

static void *consume_fast(void *arg)
{
    (void)arg;
    return (void *)(unsigned long)take_job(&fast_queue);
}

static void *consume_bulk(void *arg)
{
    (void)arg;
    return (void *)(unsigned long)take_job(&bulk_queue);
}

/* Returns once the consumer of q is inside pthread_cond_wait: it sets `waiting` with the mutex
 * held and keeps it until the wait releases it. */
static void wait_until_waiting(struct queue *q)
{
    for (;;) {
        pthread_mutex_lock(&q->lock);
        bool waiting = q->waiting;
        pthread_mutex_unlock(&q->lock);
        if (waiting)
            return;
        sched_yield();
    }
}

static void post_job(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->jobs++;
    pthread_mutex_unlock(&q->lock);
}

int main(void)
{
    pthread_t fast, bulk;
    if (pthread_create(&fast, NULL, consume_fast, NULL) != 0)
        return 1;
    wait_until_waiting(&fast_queue);
    if (pthread_create(&bulk, NULL, consume_bulk, NULL) != 0)
        return 1;
    wait_until_waiting(&bulk_queue);
    post_job(&fast_queue);
    post_job(&bulk_queue);
    pthread_cond_broadcast(&work_ready);
    void *a, *b;
    pthread_join(fast, &a);
    pthread_join(bulk, &b);
    printf("queue_cond_two_mutexes: %lu jobs done\n", (unsigned long)a + (unsigned long)b);
    return 0;
}
