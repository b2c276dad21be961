/* shutdown_join_cycle: a supervisor and its worker each wait for the other to finish.
 *
 * At shutdown the supervisor joins the worker to collect its last result, and the worker joins the
 * supervisor so that it outlives the supervisor's cleanup. Each waits for the other for ever. Both
 * handles are published before either join (a barrier), so the deadlock is certain. main keeps
 * serving (it sleeps, which is not a wait another thread must end).
 *
 * Expected: a live deadlock. Without the lock module the program hangs. Under `threadleak run
 * --locks` (deadlock=abort): one join_cycle of the two threads, and the run exits 68. TSan:
 * measured, see the manifest.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_t supervisor, worker;
static pthread_barrier_t both_started;

static void *supervise(void *arg)
{
    pthread_barrier_wait(&both_started);
    pthread_join(worker, NULL); /* waits for the worker, which waits for this thread */
    return arg;
}

static void *work(void *arg)
{
    pthread_barrier_wait(&both_started);
    pthread_join(supervisor, NULL); /* waits for the supervisor: a join cycle */
    return arg;
}

int main(void)
{
    pthread_barrier_init(&both_started, NULL, 2);
    if (pthread_create(&supervisor, NULL, supervise, NULL) != 0 ||
        pthread_create(&worker, NULL, work, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    for (;;)
        sleep(1);
}
