/* blocked_producer: a bounded job queue whose producer outlives its only consumer.
 *
 * Go pattern: a goroutine blocked forever sending on a channel that nobody receives from.
 *
 * The bug: the consumer (main) only wants the first two jobs and returns, but nobody tells the
 * producer. The producer fills the four-slot queue and then sleeps forever in queue_push on the
 * not_full condition variable. Its handle is dropped in start_producer, so nothing can join it.
 *
 * Expected: one running, joinable leak of `producer`, created by main. TSan says nothing: the
 * producer never finishes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_CAPACITY  4
#define JOBS_TO_PRODUCE 16
#define JOBS_WANTED     2

struct job_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    int jobs[QUEUE_CAPACITY];
    size_t head;
    size_t count;
};

static void queue_push(struct job_queue *q, int job)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == QUEUE_CAPACITY)
        pthread_cond_wait(&q->not_full, &q->lock); /* the producer ends up here forever */
    q->jobs[(q->head + q->count) % QUEUE_CAPACITY] = job;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static int queue_pop(struct job_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0)
        pthread_cond_wait(&q->not_empty, &q->lock);
    int job = q->jobs[q->head];
    q->head = (q->head + 1) % QUEUE_CAPACITY;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return job;
}

static void *producer(void *arg)
{
    struct job_queue *q = arg;
    for (int job = 0; job < JOBS_TO_PRODUCE; job++)
        queue_push(q, job * 10);
    return NULL;
}

/* Starts the producer and, by mistake, forgets its handle. */
void start_producer(struct job_queue *q)
{
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, producer, q);
    if (rc != 0) {
        fprintf(stderr, "pthread_create: %s\n", strerror(rc));
        exit(1);
    }
}

int main(void)
{
    static struct job_queue queue = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .not_empty = PTHREAD_COND_INITIALIZER,
        .not_full = PTHREAD_COND_INITIALIZER,
    };
    start_producer(&queue);
    for (int taken = 0; taken < JOBS_WANTED; taken++)
        printf("blocked_producer: got job %d\n", queue_pop(&queue));
    return 0; /* the producer is still waiting for room in the queue */
}
