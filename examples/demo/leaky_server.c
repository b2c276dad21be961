/* A small "server" with a --selftest mode that leaks the way real servers do: a metrics flusher
 * started and never stopped, and a request handler abandoned after a timeout. Run it under
 * `threadleak run -- ./leaky_server --selftest` to see the report. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct request {
    int id;
    int reply_pipe[2];
};

static void *flush_metrics(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "metrics");
    for (;;)
        sleep(1); /* a ticker with no stop */
    return NULL;
}

static void *handle_request(void *arg)
{
    struct request *req = arg;
    char byte;
    /* Waits for a backend reply that never comes: nobody writes to the pipe. */
    read(req->reply_pipe[0], &byte, 1);
    return NULL;
}

static bool fetch_with_timeout(struct request *req, int timeout_ms)
{
    pthread_t worker;
    pipe(req->reply_pipe);
    pthread_create(&worker, NULL, handle_request, req);
    struct timespec pause = {0, timeout_ms * 1000000L};
    nanosleep(&pause, NULL);
    return false; /* timed out: the caller gives up and forgets the worker */
}

static void start_metrics(void)
{
    pthread_t flusher;
    pthread_create(&flusher, NULL, flush_metrics, NULL);
}

int main(int argc, char **argv)
{
    bool selftest = argc > 1 && strcmp(argv[1], "--selftest") == 0;
    start_metrics();
    static struct request req = {.id = 1};
    if (!fetch_with_timeout(&req, 50))
        printf("request %d timed out\n", req.id);
    printf("selftest %s\n", selftest ? "done" : "skipped");
    return 0;
}
