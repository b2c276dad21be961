/* A program for the baseline tests, built three times: at -O0 and -O2 from the same source, and
 * at -O2 with -DBASELINE_CHANGED, a later version of the code in which the unjoined task is fixed
 * (joined) and a new leak, the watchdog, appeared. Each thread is created in a function of its
 * own, so that the baseline's keys name them; each pthread_create's result is used, so that no
 * build turns it into a tail call that would hide its caller. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *poller(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *quick_task(void *arg)
{
    return arg;
}

#ifndef BASELINE_CHANGED
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
#endif

static int start_pollers(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, poller, NULL) != 0)
            return -1;
    return 0;
}

static int run_task(pthread_t *t)
{
    int rc = pthread_create(t, NULL, quick_task, NULL);
    if (rc != 0)
        fprintf(stderr, "run_task: %d\n", rc);
    return rc;
}

#ifdef BASELINE_CHANGED
static void *watchdog(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static int start_watchdog(pthread_t *t)
{
    int rc = pthread_create(t, NULL, watchdog, NULL);
    if (rc != 0)
        fprintf(stderr, "start_watchdog: %d\n", rc);
    return rc;
}
#endif

int main(void)
{
    pthread_t pollers[2], task;
    if (start_pollers(pollers, 2) != 0 || run_task(&task) != 0)
        return 1;
#ifdef BASELINE_CHANGED
    pthread_join(task, NULL); /* the fix */
    pthread_t dog;
    if (start_watchdog(&dog) != 0)
        return 1;
#else
    /* Until quick_task has exited (its task is gone), however loaded the machine: else it could
     * still count as running at exit. At most 10 s. */
    for (int i = 0; i < 10000 && count_tasks() > 3; i++)
        usleep(1000);
#endif
    return 0;
}
