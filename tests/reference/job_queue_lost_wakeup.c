/* job_queue_lost_wakeup: main queues the last job and forgets to signal the worker.
 *
 * The worker sleeps on `job_ready` until a job is queued. main queues one, but the line that
 * signals the condition variable was lost in a refactoring, and main then joins the worker. The
 * worker waits for a signal nobody will send; main waits for the worker: every thread of the
 * process waits, with no timeout, for another one. Nothing can ever wake them.
 *
 * Expected: a live deadlock. Without the lock module the program hangs. Under `threadleak run
 * --locks` (deadlock=abort): all_asleep, with both threads and what each waits for, and the run
 * exits 68. TSan: measured, see the manifest.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t job_ready;
    int jobs;
    int worker_waiting;
};

static void *run_worker(void *arg)
{
    struct queue *q = arg;
    pthread_mutex_lock(&q->lock);
    q->worker_waiting = 1;
    while (q->jobs == 0)
        pthread_cond_wait(&q->job_ready, &q->lock); /* never signalled */
    q->jobs--;
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int main(void)
{
    static struct queue q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pthread_t worker;
    if (pthread_create(&worker, NULL, run_worker, &q) != 0) {
        perror("pthread_create");
        return 1;
    }
    for (;;) { /* until the worker sleeps, so that the lost wakeup is certain */
        pthread_mutex_lock(&q.lock);
        int waiting = q.worker_waiting;
        if (waiting)
            q.jobs++; /* the pthread_cond_signal(&q.job_ready) that belongs here is missing */
        pthread_mutex_unlock(&q.lock);
        if (waiting)
            break;
        usleep(1000);
    }
    pthread_join(worker, NULL);
    puts("job_queue_lost_wakeup: done");
    return 0;
}
