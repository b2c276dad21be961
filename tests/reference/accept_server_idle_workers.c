/* accept_server_idle_workers: a server waits in accept() while its workers wait for work.
 *
 * The clean twin of all_asleep. The workers sleep on a condition variable and main sleeps in
 * accept(): every thread of the process waits, but main waits for the network, which another
 * process can end at any time, so nothing is deadlocked. A client (a child process, forked before
 * any thread) connects after 300 ms; main then tells the workers to stop and joins them.
 *
 * Expected: no finding of any kind, exit 0, with and without the lock module.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stopping;
};

static struct pool pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
static struct sockaddr_in address;

static void *run_worker(void *arg)
{
    pthread_mutex_lock(&pool.lock);
    while (!pool.stopping)
        pthread_cond_wait(&pool.changed, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    return arg;
}

/* The client, in a process of its own: it sleeps, connects, and is gone. */
static void connect_later(void)
{
    usleep(300 * 1000);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        perror("connect");
    _exit(0);
}

int main(void)
{
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr *)&address, &len) != 0) {
        perror("listen");
        return 1;
    }
    pid_t client = fork();
    if (client == 0)
        connect_later();
    pthread_t workers[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, run_worker, NULL);
    int conn = accept(listener, NULL, NULL); /* every other thread sleeps meanwhile */
    if (conn >= 0)
        close(conn);
    waitpid(client, NULL, 0);
    pthread_mutex_lock(&pool.lock);
    pool.stopping = 1;
    pthread_cond_broadcast(&pool.changed);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    close(listener);
    puts("accept_server_idle_workers: served 1 connection");
    return 0;
}
