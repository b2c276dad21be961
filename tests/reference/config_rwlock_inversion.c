/* config_rwlock_inversion: a request handler reads the config under its read lock and bumps a
 * stats counter; the admin reload takes the stats lock (to reset the counters) and then the
 * config's write lock.
 *
 * The bug: handle_request holds config (read) and locks stats; reload_config holds stats and
 * takes config for writing. A writer waits for the reader, and the reader waits for stats: a real
 * deadlock when both run together (a read lock does not protect against this; only two readers
 * could not wait for each other). Here the reload starts after the handler is joined, so the
 * program finishes.
 *
 * Expected: clean for the leak check. With the lock module: one lock-order cycle (rwlock held for
 * reading -> mutex, mutex -> rwlock taken for writing), no deadlock, no misuse.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct config {
    pthread_rwlock_t lock;
    int max_connections;
};

struct stats {
    pthread_mutex_t lock;
    unsigned long requests;
};

static struct config config = {PTHREAD_RWLOCK_INITIALIZER, 64};
static struct stats stats = {PTHREAD_MUTEX_INITIALIZER, 0};

static void *handle_request(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&config.lock);
    int limit = config.max_connections;
    pthread_mutex_lock(&stats.lock); /* stats under the config's read lock */
    stats.requests += limit > 0;
    pthread_mutex_unlock(&stats.lock);
    pthread_rwlock_unlock(&config.lock);
    return NULL;
}

static void *reload_config(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats.lock);
    stats.requests = 0;
    pthread_rwlock_wrlock(&config.lock); /* the config's write lock under stats: the reverse */
    config.max_connections = 128;
    pthread_rwlock_unlock(&config.lock);
    pthread_mutex_unlock(&stats.lock);
    return NULL;
}

static void run(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_join(t, NULL);
}

int main(void)
{
    run(handle_request);
    run(reload_config); /* after the handler: the inversion never hangs here */
    printf("config_rwlock_inversion: max_connections=%d requests=%lu\n", config.max_connections,
           stats.requests);
    return 0;
}
