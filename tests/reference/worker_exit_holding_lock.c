/* worker_exit_holding_lock: a job worker whose error path returns with the job table locked.
 *
 * The bug: claim_job() locks the job table, and on a job it cannot parse the worker returns early
 * without unlocking. The thread ends holding the mutex; the next thread to lock the table would
 * wait for ever. Here main only joins the worker and reports the error, so the program finishes.
 *
 * Expected: clean for the leak check (the worker is joined). With the lock module: one
 * exit_holding_lock, whose stack is the call that took the lock (in claim_job). TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job_table {
    pthread_mutex_t lock;
    const char *jobs[4];
    unsigned next;
};

static struct job_table table = {PTHREAD_MUTEX_INITIALIZER, {"resize:64", "bogus", NULL, NULL}, 1};

static const char *claim_job(struct job_table *t)
{
    pthread_mutex_lock(&t->lock);
    return t->jobs[t->next++];
}

static void *job_worker(void *arg)
{
    struct job_table *t = arg;
    const char *job = claim_job(t);
    if (job == NULL || job[0] != 'r')
        return (void *)1; /* forgets pthread_mutex_unlock(&t->lock) */
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int main(void)
{
    pthread_t worker;
    if (pthread_create(&worker, NULL, job_worker, &table) != 0) {
        perror("pthread_create");
        return 1;
    }
    void *failed;
    pthread_join(worker, &failed);
    printf("worker_exit_holding_lock: worker %s\n", failed ? "failed" : "succeeded");
    return 0;
}
