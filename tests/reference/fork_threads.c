/* fork_threads: a multi-threaded parent forks a child that starts (and leaks) a thread.
 *
 * The parent runs a logger thread, forks a child to do a batch job, waits for it, then stops and
 * joins the logger: the parent is clean. After fork only the forking thread exists in the child;
 * the child starts a `child_flush` thread, waits for it to say it is done, and returns from main
 * without joining it.
 *
 * Expected: in the child process, one finished, joinable leak of `child_flush`, created by main
 * (the child's main thread). The parent: no leaks. Plain exit status 0.
 * TSan: the child dies at its pthread_create with "starting new threads after multi-threaded
 * fork is not supported" (die_after_fork=1 is the default) and exit status 66; the parent prints
 * that status and still exits 0. No thread leak is reported in either process.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct logger {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool started;
    bool stopping;
    int lines;
};

static void *log_writer(void *arg)
{
    struct logger *lg = arg;
    pthread_mutex_lock(&lg->lock);
    lg->started = true;
    pthread_cond_broadcast(&lg->changed);
    while (!lg->stopping)
        pthread_cond_wait(&lg->changed, &lg->lock);
    pthread_mutex_unlock(&lg->lock);
    return NULL;
}

struct flush_state {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
};

static void *child_flush(void *arg)
{
    struct flush_state *fs = arg;
    pthread_mutex_lock(&fs->lock);
    fs->done = true;
    pthread_cond_signal(&fs->done_cond);
    pthread_mutex_unlock(&fs->lock);
    return NULL;
}

/* The child's whole life: one helper thread, waited for but never joined. */
int run_child_batch(void)
{
    static struct flush_state fs = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .done_cond = PTHREAD_COND_INITIALIZER,
    };
    pthread_t flusher;
    if (pthread_create(&flusher, NULL, child_flush, &fs) != 0) {
        perror("child: pthread_create");
        return 1;
    }
    pthread_mutex_lock(&fs.lock);
    while (!fs.done)
        pthread_cond_wait(&fs.done_cond, &fs.lock);
    pthread_mutex_unlock(&fs.lock);
    /* Let the flusher finish returning, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}

int main(void)
{
    static struct logger logger = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .changed = PTHREAD_COND_INITIALIZER,
    };
    pthread_t writer;
    if (pthread_create(&writer, NULL, log_writer, &logger) != 0) {
        perror("pthread_create");
        return 1;
    }

    /* Fork only once the logger is idle in its wait. A fork while the new thread is still setting
     * itself up inside a sanitizer runtime (ASan allocates the thread's state under the
     * allocator's lock) leaves that lock held in the child, whose first allocation then
     * deadlocks: gcc 12's and clang 14's ASan builds hung 1 run in 8 without this. */
    pthread_mutex_lock(&logger.lock);
    while (!logger.started)
        pthread_cond_wait(&logger.changed, &logger.lock);
    pthread_mutex_unlock(&logger.lock);

    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0)
        return run_child_batch(); /* exit() in the child: at-exit checks run there too */

    int status = 0;
    waitpid(child, &status, 0);
    printf("fork_threads: child exited with status %d\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

    pthread_mutex_lock(&logger.lock);
    logger.stopping = true;
    pthread_cond_broadcast(&logger.changed);
    pthread_mutex_unlock(&logger.lock);
    pthread_join(writer, NULL);
    return 0;
}
