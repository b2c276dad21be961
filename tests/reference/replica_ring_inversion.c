/* replica_ring_inversion: three replicas that each sync into the next one, around a ring.
 *
 * The bug: sync_to_next() locks its own replica and then its successor's. Replica 0 locks 0 then
 * 1, replica 1 locks 1 then 2, replica 2 locks 2 then 0: a cycle of three locks. Three syncs that
 * run together can deadlock (each holds its own lock and waits for the next one); here each sync
 * thread is joined before the next starts, so the program always finishes, but the lock-order
 * graph has the ring 0 -> 1 -> 2 -> 0.
 *
 * Expected: clean for threadleak's leak check. With the lock module: one lock-order cycle of
 * three mutexes, no deadlock, no misuse.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define REPLICAS 3

struct replica {
    pthread_mutex_t lock;
    unsigned long version;
    unsigned long applied_from_prev;
};

static struct replica replicas[REPLICAS] = {
    {PTHREAD_MUTEX_INITIALIZER, 10, 0},
    {PTHREAD_MUTEX_INITIALIZER, 20, 0},
    {PTHREAD_MUTEX_INITIALIZER, 30, 0},
};

static void *sync_to_next(void *arg)
{
    struct replica *self = arg;
    struct replica *next = &replicas[(self - replicas + 1) % REPLICAS];
    pthread_mutex_lock(&self->lock); /* own lock first, then the successor's: a ring */
    pthread_mutex_lock(&next->lock);
    next->applied_from_prev = self->version;
    pthread_mutex_unlock(&next->lock);
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

static void sync_round(void)
{
    for (int i = 0; i < REPLICAS; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, sync_to_next, &replicas[i]) != 0) {
            perror("pthread_create");
            exit(1);
        }
        pthread_join(t, NULL); /* one at a time, so the ring never closes on a real run */
    }
}

int main(void)
{
    sync_round();
    printf("replica_ring_inversion: %lu %lu %lu\n", replicas[0].applied_from_prev,
           replicas[1].applied_from_prev, replicas[2].applied_from_prev);
    return 0;
}
