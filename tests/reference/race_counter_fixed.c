/* race_counter_fixed: race_counter with the counter behind a mutex.
 *
 * No bug: record_hits takes stats->lock around each increment, and both threads are joined.
 *
 * Expected: clean. TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define HITS_PER_THREAD 20000

struct request_stats {
    const char *endpoint;
    pthread_mutex_t lock;
    int hits; /* guarded by lock */
};

static void *record_hits(void *arg)
{
    struct request_stats *stats = arg;
    for (int i = 0; i < HITS_PER_THREAD; i++) {
        pthread_mutex_lock(&stats->lock);
        stats->hits++;
        pthread_mutex_unlock(&stats->lock);
    }
    return NULL;
}

int main(void)
{
    static struct request_stats stats = {
        .endpoint = "/api/items",
        .lock = PTHREAD_MUTEX_INITIALIZER,
    };
    pthread_t a, b;
    if (pthread_create(&a, NULL, record_hits, &stats) != 0 ||
        pthread_create(&b, NULL, record_hits, &stats) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("race_counter_fixed: %s hits = %d\n", stats.endpoint, stats.hits);
    return 0;
}
