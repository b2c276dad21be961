/* cancel_without_join: a reader thread cancelled but never joined.
 *
 * The bug: connection_close cancels the reader (blocked in read(), a cancellation point) and
 * waits until its cleanup handler has run, but never calls pthread_join. A cancelled thread is
 * still joinable; until joined it is a finished-but-unjoined zombie.
 *
 * Expected: one finished, joinable leak of `connection_reader` (cancelled), created by main.
 * TSan reports a thread leak created in connection_open.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct connection {
    int fd;
    int peer_fd;
    pthread_t reader;
    sem_t reader_stopped;
    long bytes_read;
};

/* Runs when the reader is cancelled: sem_post is async-signal-safe, so it is fine here too. */
static void reader_cleanup(void *arg)
{
    struct connection *c = arg;
    sem_post(&c->reader_stopped);
}

static void *connection_reader(void *arg)
{
    struct connection *c = arg;
    char buf[256];
    pthread_cleanup_push(reader_cleanup, c);
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf); /* cancellation point */
        if (n <= 0)
            break;
        c->bytes_read += n;
    }
    pthread_cleanup_pop(1);
    return NULL;
}

void connection_open(struct connection *c)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    c->fd = fds[0];
    c->peer_fd = fds[1];
    sem_init(&c->reader_stopped, 0, 0);
    if (pthread_create(&c->reader, NULL, connection_reader, c) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

static void connection_close(struct connection *c)
{
    pthread_cancel(c->reader);
    sem_wait(&c->reader_stopped);
    /* missing: pthread_join(c->reader, NULL); */
    close(c->peer_fd);
}

int main(void)
{
    static struct connection conn;
    connection_open(&conn);
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL); /* the reader is in read() */
    connection_close(&conn);
    printf("cancel_without_join: connection closed\n");
    /* Let the cancelled reader finish unwinding, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
