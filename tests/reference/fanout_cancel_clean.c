/* fanout_cancel_clean: fan-out to several shards that cancels the rest on the first error.
 *
 * Go pattern: errgroup.WithContext -- the first failing goroutine cancels the context, the others
 * notice ctx.Done() and return, and g.Wait() collects them all.
 *
 * No bug: query_shard waits in short slices on the group's condition variable and checks the
 * cancelled flag each time; shard 2 fails and cancels the group; group_wait joins every worker.
 *
 * Expected: clean (no leaks). TSan: nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SHARDS          5
#define FAILING_SHARD   2
#define STEPS_PER_SHARD 20
#define STEP_MS         10

struct group {
    pthread_mutex_t lock;
    pthread_cond_t cancelled_cond;
    bool cancelled;
    int first_error;
    int failed_shard;
    pthread_t workers[SHARDS];
};

struct shard_task {
    struct group *group;
    int shard;
};

/* Records the first error and wakes every sibling, like errgroup's cancel(). */
static void group_fail(struct group *g, int shard, int err)
{
    pthread_mutex_lock(&g->lock);
    if (!g->cancelled) {
        g->cancelled = true;
        g->first_error = err;
        g->failed_shard = shard;
        pthread_cond_broadcast(&g->cancelled_cond);
    }
    pthread_mutex_unlock(&g->lock);
}

/* Sleeps one step unless the group is cancelled first; returns false when cancelled. */
static bool group_wait_step(struct group *g)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += STEP_MS * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->lock);
    int rc = 0;
    while (!g->cancelled && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g->cancelled_cond, &g->lock, &deadline);
    bool still_running = !g->cancelled;
    pthread_mutex_unlock(&g->lock);
    return still_running;
}

static void *query_shard(void *arg)
{
    struct shard_task *task = arg;
    for (int step = 0; step < STEPS_PER_SHARD; step++) {
        if (task->shard == FAILING_SHARD && step == 3) {
            group_fail(task->group, task->shard, ECONNRESET);
            return NULL;
        }
        if (!group_wait_step(task->group))
            return NULL; /* a sibling failed: stop early */
    }
    return NULL;
}

static void group_go(struct group *g, struct shard_task *tasks)
{
    for (int i = 0; i < SHARDS; i++) {
        tasks[i] = (struct shard_task){.group = g, .shard = i};
        if (pthread_create(&g->workers[i], NULL, query_shard, &tasks[i]) != 0) {
            perror("pthread_create");
            exit(1);
        }
    }
}

static int group_wait(struct group *g)
{
    for (int i = 0; i < SHARDS; i++)
        pthread_join(g->workers[i], NULL);
    return g->first_error;
}

int main(void)
{
    static struct group group = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .cancelled_cond = PTHREAD_COND_INITIALIZER,
    };
    static struct shard_task tasks[SHARDS];
    group_go(&group, tasks);
    int err = group_wait(&group);
    printf("fanout_cancel_clean: shard %d failed with errno %d; all shards joined\n",
           group.failed_shard, err);
    return 0;
}
