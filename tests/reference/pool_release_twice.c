/* pool_release_twice: a connection pool whose error path releases a connection twice.
 *
 * The bug: query() releases its connection when the query fails, and its caller releases it again
 * in its cleanup. Each release unlocks the connection's mutex, so the second unlock is of a mutex
 * nobody holds. glibc's default mutex does not check, and the next user of the connection may get
 * it while someone else still does.
 *
 * Expected: clean for the leak check. With the lock module: one unlock_unlocked, in
 * pool_release (called from run_report). TSan: "unlock of an unlocked mutex (or by a wrong
 * thread)".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define POOL_SIZE 2

struct connection {
    pthread_mutex_t lock;
    int fd;
    unsigned queries;
};

static struct connection pool[POOL_SIZE] = {
    {PTHREAD_MUTEX_INITIALIZER, 3, 0},
    {PTHREAD_MUTEX_INITIALIZER, 4, 0},
};

static struct connection *pool_acquire(unsigned key)
{
    struct connection *c = &pool[key % POOL_SIZE];
    pthread_mutex_lock(&c->lock);
    return c;
}

static void pool_release(struct connection *c)
{
    pthread_mutex_unlock(&c->lock);
}

static bool query(struct connection *c, const char *sql)
{
    c->queries++;
    if (sql[0] != 'S') {
        pool_release(c); /* the error path releases the connection ... */
        return false;
    }
    return true;
}

static void *run_report(void *arg)
{
    (void)arg;
    struct connection *c = pool_acquire(1);
    if (!query(c, "UPDATE totals"))
        fprintf(stderr, "pool_release_twice: query failed\n");
    pool_release(c); /* ... and so does the caller's cleanup */
    return NULL;
}

int main(void)
{
    pthread_t reporter;
    if (pthread_create(&reporter, NULL, run_report, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(reporter, NULL);
    printf("pool_release_twice: %u queries\n", pool[1].queries);
    return 0;
}
