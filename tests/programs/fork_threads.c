/* Threads around fork. The parent has a worker it joins properly. The child starts with only the
 * forking thread in the registry; it leaks one thread of its own when argv[1] is "child_leaks".
 * Expected: the parent is clean; the child leaks exactly one `child_worker`, created by its main
 * thread, and never reports the parent's threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int release_pipe[2];

static void *parent_worker(void *arg)
{
    char byte;
    (void)arg;
    read(release_pipe[0], &byte, 1);
    return NULL;
}

static void *child_worker(void *arg)
{
    (void)arg;
    pause();
    return NULL;
}

int main(int argc, char **argv)
{
    int child_leaks = argc > 1 && strcmp(argv[1], "child_leaks") == 0;
    pipe(release_pipe);
    pthread_t worker;
    pthread_create(&worker, NULL, parent_worker, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (child_leaks) {
            pthread_t t;
            pthread_create(&t, NULL, child_worker, NULL);
        }
        return 0;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    write(release_pipe[1], "x", 1);
    pthread_join(worker, NULL);
    return 0;
}
