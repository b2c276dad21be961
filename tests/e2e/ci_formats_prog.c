/* A program for the --junit and --sarif tests: `leak` leaves two threads running, created by one
 * line in a loop, and one finished thread never joined; `clean` joins what it starts. The lines
 * the tests look for carry a marker comment, so that the test finds their numbers in this file. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *blocker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *quick(void *arg)
{
    return arg;
}

/* Threads of this process, from /proc/self/task. */
static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    pthread_t t[3];
    if (argc > 1 && strcmp(argv[1], "leak") == 0) {
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, blocker, NULL); /* MARK_RUNNING */
        pthread_create(&t[2], NULL, quick, NULL);       /* MARK_UNJOINED */
        /* Until `quick` has exited (its task is gone), however loaded the machine: else it
         * could still count as running at exit. At most 10 s. */
        for (int i = 0; i < 10000 && count_tasks() > 3; i++)
            usleep(1000);
        return 0;
    }
    pthread_create(&t[0], NULL, quick, NULL);
    pthread_join(t[0], NULL);
    puts("clean");
    return 0;
}
