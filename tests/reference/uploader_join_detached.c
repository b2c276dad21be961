/* uploader_join_detached: a shutdown path joins an upload thread that was detached.
 *
 * The bug: start_uploader() detaches its thread ("it cleans up after itself"), but
 * stop_uploader(), written later, joins the same handle to wait for the last upload. glibc
 * returns EINVAL for a detached thread that still exists, stop_uploader ignores it, and the
 * shutdown does not wait at all. (Once a detached thread has exited, the join is undefined.)
 *
 * The uploader waits until main has made the join, so the thread certainly exists then; main then
 * lets it finish and waits for its last act, so no thread is left at exit.
 *
 * Expected: clean for the leak check (the detached thread has finished). With the lock module: one
 * join_detached, in stop_uploader. TSan: measured, see the manifest.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t state_cond = PTHREAD_COND_INITIALIZER;
static bool stop_requested, uploader_done;
static unsigned uploaded;

static void *upload_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&state_lock);
    uploaded++;
    while (!stop_requested)
        pthread_cond_wait(&state_cond, &state_lock);
    uploader_done = true;
    pthread_cond_broadcast(&state_cond);
    pthread_mutex_unlock(&state_lock);
    return NULL;
}

static pthread_t start_uploader(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, upload_loop, NULL) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_detach(t);
    return t;
}

static int stop_uploader(pthread_t t)
{
    int rc = pthread_join(t, NULL); /* EINVAL: the thread is detached */
    pthread_mutex_lock(&state_lock);
    stop_requested = true;
    pthread_cond_broadcast(&state_cond);
    while (!uploader_done)
        pthread_cond_wait(&state_cond, &state_lock);
    pthread_mutex_unlock(&state_lock);
    return rc;
}

int main(void)
{
    pthread_t uploader = start_uploader();
    int rc = stop_uploader(uploader);
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL); /* its last act was done */
    printf("uploader_join_detached: join returned %s, %u uploaded\n", rc ? "an error" : "0",
           uploaded);
    return 0;
}
