/* fetch_timeout: a fetch abandoned after a timeout while its worker is still blocked.
 *
 * Go pattern: `go func() { done <- slowCall() }()` followed by `select { case <-done: case
 * <-ctx.Done(): return }` with an unbuffered channel: the caller leaves on timeout and the
 * goroutine is stuck for good.
 *
 * The bug: fetch_with_timeout waits for the worker with pthread_cond_timedwait and returns an
 * error after 100 ms, but the worker is blocked in read() on an upstream that never answers (a
 * pipe whose write end stays open and silent). Nothing cancels or joins it.
 *
 * Expected: one running, joinable leak of `fetch_worker`, created by main. TSan: nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FETCH_TIMEOUT_MS 100

/* A connection to a slow upstream: reads block until it answers, which it never does. */
struct upstream {
    int read_fd;
    int write_fd;
};

struct fetch_request {
    pthread_mutex_t lock;
    pthread_cond_t answered;
    bool done;
    char reply[64];
    int fd;
};

static void *fetch_worker(void *arg)
{
    struct fetch_request *req = arg;
    char buf[64];
    ssize_t n = read(req->fd, buf, sizeof buf - 1); /* blocks: the upstream is silent */
    pthread_mutex_lock(&req->lock);
    if (n > 0) {
        buf[n] = '\0';
        snprintf(req->reply, sizeof req->reply, "%s", buf);
    }
    req->done = true;
    pthread_cond_signal(&req->answered);
    pthread_mutex_unlock(&req->lock);
    return NULL;
}

static struct timespec deadline_after_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Returns 0 and fills out, or -1 on timeout. On timeout the request (and its worker) are
 * simply abandoned, which is the leak. */
int fetch_with_timeout(struct upstream *up, char *out, size_t outlen)
{
    struct fetch_request *req = calloc(1, sizeof *req);
    if (!req)
        return -1;
    pthread_mutex_init(&req->lock, NULL);
    pthread_cond_init(&req->answered, NULL);
    req->fd = up->read_fd;

    pthread_t worker;
    if (pthread_create(&worker, NULL, fetch_worker, req) != 0) {
        free(req);
        return -1;
    }

    struct timespec deadline = deadline_after_ms(FETCH_TIMEOUT_MS);
    int rc = 0;
    pthread_mutex_lock(&req->lock);
    while (!req->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&req->answered, &req->lock, &deadline);
    bool done = req->done;
    if (done)
        snprintf(out, outlen, "%s", req->reply);
    pthread_mutex_unlock(&req->lock);

    if (!done)
        return -1; /* worker still blocked in read(): leaked with req */
    pthread_join(worker, NULL);
    free(req);
    return 0;
}

int main(void)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    struct upstream up = {.read_fd = fds[0], .write_fd = fds[1]};
    char reply[64];
    if (fetch_with_timeout(&up, reply, sizeof reply) != 0)
        printf("fetch_timeout: upstream timed out after %d ms\n", FETCH_TIMEOUT_MS);
    else
        printf("fetch_timeout: got %s\n", reply);
    return 0;
}
