/* replica_timedlock_giveup: two replicas that try to pull from each other with a timed lock, and
 * give up.
 *
 * Each sync thread locks its own replica and then tries the peer's with pthread_mutex_timedlock
 * (50 ms). Both hold their own lock when they try (a barrier makes sure), so both time out, give
 * up, and release: a cycle of waits that ends by itself. It is no deadlock. It is still a
 * lock-order inversion: the same code with pthread_mutex_lock would hang, and a timeout only
 * bounds the hang (the rule of lockdep and Abseil).
 *
 * Both threads keep their own lock until both attempts are over (a second barrier), so both
 * always time out, whatever the scheduling.
 *
 * Expected: clean for the leak check. With the lock module: no deadlock, one lock-order cycle (the
 * two timed attempts). The run takes about 50 ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct replica {
    pthread_mutex_t lock;
    struct replica *peer;
    int timeouts;
};

static struct replica left = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};
static struct replica right = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};
static pthread_barrier_t both_hold_own, both_tried;

static void *pull_from_peer(void *arg)
{
    struct replica *self = arg;
    pthread_mutex_lock(&self->lock);
    pthread_barrier_wait(&both_hold_own);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 50 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000 * 1000 * 1000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000 * 1000 * 1000;
    }
    int rc = pthread_mutex_timedlock(&self->peer->lock, &deadline); /* gives up: ETIMEDOUT */
    if (rc == 0)
        pthread_mutex_unlock(&self->peer->lock);
    else if (rc == ETIMEDOUT)
        self->timeouts++;
    pthread_barrier_wait(&both_tried);
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

int main(void)
{
    left.peer = &right;
    right.peer = &left;
    pthread_barrier_init(&both_hold_own, NULL, 2);
    pthread_barrier_init(&both_tried, NULL, 2);
    pthread_t a, b;
    if (pthread_create(&a, NULL, pull_from_peer, &left) != 0 ||
        pthread_create(&b, NULL, pull_from_peer, &right) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("replica_timedlock_giveup: %d timeouts\n", left.timeouts + right.timeouts);
    return 0;
}
