/* nested_creation: a supervisor thread that creates threads and leaks them.
 *
 * Go pattern: a goroutine that starts goroutines; goleak's "created by" names the parent
 * goroutine's function, not main.
 *
 * The bug: main starts `supervisor` and joins it. The supervisor starts a `watchdog` that waits on
 * a condition variable nobody signals, and a one-shot `send_heartbeat` that finishes. It joins
 * neither before returning.
 *
 * Expected: two joinable leaks created by `supervisor`: `watchdog` (running) and
 * `send_heartbeat` (finished). TSan reports only send_heartbeat, "created by thread T1", with
 * supervisor_start_heartbeat as the function that called pthread_create.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct service {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool heartbeat_sent;
    bool stopping; /* the watchdog waits for this; nobody sets it */
};

static void *watchdog(void *arg)
{
    struct service *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void *send_heartbeat(void *arg)
{
    struct service *s = arg;
    pthread_mutex_lock(&s->lock);
    s->heartbeat_sent = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

void supervisor_start_watchdog(struct service *s)
{
    pthread_t t; /* dropped: the supervisor never joins its children */
    if (pthread_create(&t, NULL, watchdog, s) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

void supervisor_start_heartbeat(struct service *s)
{
    pthread_t t; /* dropped as well */
    if (pthread_create(&t, NULL, send_heartbeat, s) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

static void *supervisor(void *arg)
{
    struct service *s = arg;
    supervisor_start_watchdog(s);
    supervisor_start_heartbeat(s);
    pthread_mutex_lock(&s->lock);
    while (!s->heartbeat_sent)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int main(void)
{
    static struct service service = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .changed = PTHREAD_COND_INITIALIZER,
    };
    pthread_t sup;
    if (pthread_create(&sup, NULL, supervisor, &service) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(sup, NULL);
    printf("nested_creation: supervisor done\n");
    /* Let send_heartbeat finish returning, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
