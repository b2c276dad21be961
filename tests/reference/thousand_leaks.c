/* thousand_leaks: a thread-per-connection server that never wakes its 1,000 handlers.
 *
 * Go pattern: one goroutine per connection, each blocked on a shared "shutdown" channel that is
 * never closed -- goleak and the goroutine profile group them into one entry with a count.
 *
 * The bug: accept_connections starts one connection_handler per client; each waits on the
 * server's condition variable for `shutting_down`. server_stop (which would set it and
 * broadcast) is never called. main waits until all 1,000 handlers are parked, then returns.
 * Handler stacks are 256 KiB (set with an attribute, as thread-per-connection servers often do).
 *
 * Expected: 1,000 identical running, joinable leaks of `connection_handler`, created by main.
 * TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECTIONS   1000
#define HANDLER_STACK (256 * 1024)

struct server {
    pthread_mutex_t lock;
    pthread_cond_t shutdown_cond;
    pthread_cond_t parked_cond;
    bool shutting_down;
    int parked;
};

static void *connection_handler(void *arg)
{
    struct server *srv = arg;
    pthread_mutex_lock(&srv->lock);
    if (++srv->parked == CONNECTIONS)
        pthread_cond_signal(&srv->parked_cond);
    while (!srv->shutting_down)
        pthread_cond_wait(&srv->shutdown_cond, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

void accept_connections(struct server *srv, int count)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, HANDLER_STACK);
    for (int i = 0; i < count; i++) {
        pthread_t handler; /* a real server would keep these to join in server_stop */
        int rc = pthread_create(&handler, &attr, connection_handler, srv);
        if (rc != 0) {
            fprintf(stderr, "pthread_create #%d: %s\n", i, strerror(rc));
            exit(1);
        }
    }
    pthread_attr_destroy(&attr);
}

static void wait_until_all_parked(struct server *srv)
{
    pthread_mutex_lock(&srv->lock);
    while (srv->parked < CONNECTIONS)
        pthread_cond_wait(&srv->parked_cond, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
}

int main(void)
{
    static struct server srv = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .shutdown_cond = PTHREAD_COND_INITIALIZER,
        .parked_cond = PTHREAD_COND_INITIALIZER,
    };
    accept_connections(&srv, CONNECTIONS);
    wait_until_all_parked(&srv);
    printf("thousand_leaks: %d handlers parked\n", CONNECTIONS);
    return 0; /* server_stop(&srv) is never called */
}
