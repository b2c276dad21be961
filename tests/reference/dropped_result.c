/* dropped_result: a worker returns its result through pthread_exit's value, and nobody joins it.
 *
 * The pattern: render_preview runs in a thread and returns a heap buffer, meant to be collected
 * with pthread_join. The caller waits until the worker says it is done (a flag under a lock),
 * then takes a shortcut that never joins: the thread is a finished zombie, and the buffer it
 * returned is reachable only from the thread's descriptor, which no live pointer refers to.
 *
 * Expected: one finished, joinable leak of `render_preview`, created by main in
 * `start_preview`. TSan: a thread leak created in start_preview. LeakSanitizer (ASan builds):
 * one direct leak of 4096 bytes in 1 object, allocated in render_preview.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREVIEW_BYTES 4096

struct preview_job {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
    size_t width;
};

static void *render_preview(void *arg)
{
    struct preview_job *job = arg;
    unsigned char *pixels = malloc(PREVIEW_BYTES);
    if (pixels)
        memset(pixels, (int)(job->width & 0xff), PREVIEW_BYTES); /* stands in for rendering */
    pthread_mutex_lock(&job->lock);
    job->done = true;
    pthread_cond_signal(&job->done_cond);
    pthread_mutex_unlock(&job->lock);
    return pixels; /* for pthread_join, which never comes */
}

void start_preview(struct preview_job *job)
{
    pthread_t renderer; /* dropped on return: the result is never collected */
    if (pthread_create(&renderer, NULL, render_preview, job) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

int main(void)
{
    static struct preview_job job = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .done_cond = PTHREAD_COND_INITIALIZER,
        .width = 64,
    };
    start_preview(&job);
    pthread_mutex_lock(&job.lock);
    while (!job.done)
        pthread_cond_wait(&job.done_cond, &job.lock);
    pthread_mutex_unlock(&job.lock);
    printf("dropped_result: preview rendered, result not collected\n");
    /* Let the renderer finish returning, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
