/* graceful_shutdown: SIGTERM handling with a self-pipe and a drain stage, done right.
 *
 * Go pattern: signal.NotifyContext(ctx, syscall.SIGTERM), stop accepting, drain in-flight work,
 * then wait for every goroutine before returning from main.
 *
 * No bug: the SIGTERM handler only writes one byte to a self-pipe (async-signal-safe, errno
 * saved). A signal_watcher thread reads the pipe and starts the shutdown: the queue stops taking
 * requests, two workers drain what is queued and exit, and main joins the watcher and both
 * workers. The program sends itself SIGTERM with raise() after queueing some requests.
 *
 * Expected: clean. TSan: nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKERS        2
#define QUEUE_CAPACITY 64

struct request_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int requests[QUEUE_CAPACITY];
    size_t head, count;
    bool draining; /* no new requests; workers exit once the queue is empty */
    long served;
};

static int self_pipe[2] = {-1, -1};

/* Runs in signal context: only async-signal-safe calls, and errno is preserved. */
static void on_sigterm(int sig)
{
    int saved_errno = errno;
    unsigned char byte = (unsigned char)sig;
    ssize_t ignored = write(self_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved_errno;
}

static bool queue_submit(struct request_queue *q, int request)
{
    pthread_mutex_lock(&q->lock);
    bool accepted = !q->draining && q->count < QUEUE_CAPACITY;
    if (accepted) {
        q->requests[(q->head + q->count) % QUEUE_CAPACITY] = request;
        q->count++;
        pthread_cond_signal(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return accepted;
}

static void *request_worker(void *arg)
{
    struct request_queue *q = arg;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->count == 0 && !q->draining)
            pthread_cond_wait(&q->changed, &q->lock);
        if (q->count == 0)
            break; /* draining and empty: done */
        int request = q->requests[q->head];
        q->head = (q->head + 1) % QUEUE_CAPACITY;
        q->count--;
        q->served += request > 0;
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* Waits for SIGTERM (via the self-pipe), then switches the queue to draining. */
static void *signal_watcher(void *arg)
{
    struct request_queue *q = arg;
    unsigned char sig;
    while (read(self_pipe[0], &sig, 1) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&q->lock);
    q->draining = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void install_sigterm_handler(void)
{
    if (pipe(self_pipe) != 0) {
        perror("pipe");
        exit(1);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
}

static pthread_t start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0) {
        perror("pthread_create");
        exit(1);
    }
    return t;
}

int main(void)
{
    static struct request_queue queue = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .changed = PTHREAD_COND_INITIALIZER,
    };
    install_sigterm_handler();
    pthread_t watcher = start_thread(signal_watcher, &queue);
    pthread_t workers[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        workers[i] = start_thread(request_worker, &queue);

    for (int r = 1; r <= 32; r++)
        queue_submit(&queue, r);
    raise(SIGTERM); /* what `kill -TERM` from a supervisor would do */

    pthread_join(watcher, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    printf("graceful_shutdown: drained, %ld requests served\n", queue.served);
    return 0;
}
