/* session_lock_after_close: a late callback locks a session that was already closed.
 *
 * The bug: session_close() destroys the session's mutex; a completion callback that arrives
 * afterwards (here: a thread started before the close, released after it) still calls
 * session_touch(), which locks the destroyed mutex. glibc marks a destroyed mutex and its
 * pthread_mutex_lock returns EINVAL; the callback then updates the session with no lock at all.
 *
 * Expected: clean for the leak check. With the lock module: one lock_destroyed, in
 * session_touch. TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct session {
    pthread_mutex_t lock;
    unsigned long last_seen;
};

static struct session session;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool closed;

static void session_touch(struct session *s, unsigned long now)
{
    int rc = pthread_mutex_lock(&s->lock); /* EINVAL after session_close() */
    s->last_seen = now;                    /* updated anyway */
    if (rc == 0)
        pthread_mutex_unlock(&s->lock);
}

static void session_close(struct session *s)
{
    pthread_mutex_destroy(&s->lock);
}

static void *on_request_done(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    while (!closed)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    session_touch(arg, 42);
    return NULL;
}

int main(void)
{
    pthread_mutex_init(&session.lock, NULL);
    session_touch(&session, 1);
    pthread_t callback;
    if (pthread_create(&callback, NULL, on_request_done, &session) != 0)
        return 1;
    session_close(&session);
    pthread_mutex_lock(&gate_lock);
    closed = true;
    pthread_cond_signal(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    pthread_join(callback, NULL);
    printf("session_lock_after_close: last_seen=%lu\n", session.last_seen);
    return 0;
}
