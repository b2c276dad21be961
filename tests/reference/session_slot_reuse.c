/* session_slot_reuse: a session slot whose mutex is destroyed and initialised again for the next
 * session, which takes the locks in the other order.
 *
 * Session 1 is audited: the audit takes the registry lock, then the session's. It is closed
 * (pthread_mutex_destroy). Session 2 is opened in the same slot (pthread_mutex_init at the same
 * address) and expires: the expiry takes the session's lock, then the registry's. By address the
 * two orders are reversed; but they concern two different mutexes that happened to share memory,
 * one destroyed before the other existed, so nothing can deadlock.
 *
 * Expected: clean, also with the lock module (destroy and init end a lock's identity).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct session {
    pthread_mutex_t lock;
    unsigned id;
    unsigned hits;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session slot; /* the one slot of a tiny session pool */
static unsigned live_sessions, audited, expired;

static void *audit_session(void *arg)
{
    struct session *s = arg;
    pthread_mutex_lock(&registry_lock);
    pthread_mutex_lock(&s->lock); /* registry -> session */
    audited += s->hits;
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&registry_lock);
    return NULL;
}

static void *expire_session(void *arg)
{
    struct session *s = arg;
    pthread_mutex_lock(&s->lock);
    pthread_mutex_lock(&registry_lock); /* session -> registry, but a new session mutex */
    live_sessions--;
    expired = s->id;
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void session_open(struct session *s, unsigned id)
{
    pthread_mutex_init(&s->lock, NULL);
    s->id = id;
    s->hits = id * 10;
    live_sessions++;
}

static void session_close(struct session *s)
{
    pthread_mutex_destroy(&s->lock);
}

static void run(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_join(t, NULL);
}

int main(void)
{
    session_open(&slot, 1);
    run(audit_session, &slot);
    session_close(&slot);
    session_open(&slot, 2); /* the same memory, a new mutex */
    run(expire_session, &slot);
    session_close(&slot);
    printf("session_slot_reuse: audited=%u expired=%u live=%u\n", audited, expired, live_sessions);
    return 0;
}
