/* race_counter: a hit counter bumped by two threads without synchronisation.
 *
 * Go pattern: `hits++` from several goroutines -- what `go test -race` exists for.
 *
 * The bug: record_hits does `stats->hits++` with no lock, so increments are lost and the two
 * threads race on the same int. Both threads are joined: no thread leak.
 *
 * Expected: clean for threadleak (no leaks). TSan: one data race on `hits` (clang and gcc).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define HITS_PER_THREAD 20000

struct request_stats {
    const char *endpoint;
    int hits; /* shared by both threads, unprotected */
};

static void *record_hits(void *arg)
{
    struct request_stats *stats = arg;
    for (int i = 0; i < HITS_PER_THREAD; i++)
        stats->hits++;
    return NULL;
}

int main(void)
{
    static struct request_stats stats = {.endpoint = "/api/items"};
    pthread_t a, b;
    if (pthread_create(&a, NULL, record_hits, &stats) != 0 ||
        pthread_create(&b, NULL, record_hits, &stats) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("race_counter: %s hits = %d (expected %d)\n", stats.endpoint, stats.hits,
           2 * HITS_PER_THREAD);
    return 0;
}
