/* Under the shim, every wrapped call must behave exactly as libc's: return values, errno,
 * attributes, cancellation and exit values. Prints each failed check and exits 1 if any failed;
 * leaks nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);                      \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void *return_arg(void *arg)
{
    return arg;
}

static void *exit_with_arg(void *arg)
{
    pthread_exit(arg);
}

static void *wait_for_gate(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return arg;
}

static void *sleep_until_cancelled(void *arg)
{
    for (;;)
        pause();
    return arg;
}

static int name_set;

static void *report_own_name(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    while (!name_set)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    return (void *)(uintptr_t)(strcmp(name, (const char *)arg) == 0);
}

static int c11_add_one(void *arg)
{
    return (int)(intptr_t)arg + 1;
}

static int c11_exit_early(void *arg)
{
    thrd_exit((int)(intptr_t)arg * 2);
}

static void check_return_values(void)
{
    pthread_t t;
    void *value = NULL;
    CHECK(pthread_create(&t, NULL, return_arg, (void *)0x1234) == 0);
    CHECK(pthread_join(t, &value) == 0 && value == (void *)0x1234);
    CHECK(pthread_create(&t, NULL, exit_with_arg, (void *)0x5678) == 0);
    CHECK(pthread_join(t, &value) == 0 && value == (void *)0x5678);
}

static void check_errors_and_errno(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    errno = 4242;
    CHECK(pthread_create(&t, &attr, return_arg, NULL) == 0);
    CHECK(errno == 4242);                   /* success leaves errno alone */
    CHECK(pthread_join(t, NULL) == EINVAL); /* detached: not joinable */
    pthread_attr_destroy(&attr);

    CHECK(pthread_create(&t, NULL, return_arg, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(pthread_join(pthread_self(), NULL) == EDEADLK);
}

static void check_try_and_timed_joins(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wait_for_gate, (void *)7) == 0);
    CHECK(pthread_tryjoin_np(t, NULL) == EBUSY);
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 20 * 1000 * 1000;
    if (soon.tv_nsec >= 1000000000) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000;
    }
    CHECK(pthread_timedjoin_np(t, NULL, &soon) == ETIMEDOUT);
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    CHECK(pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &mono) == ETIMEDOUT);
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    void *value = NULL;
    CHECK(pthread_join(t, &value) == 0 && value == (void *)7);
}

static void check_cancel_and_detach(void)
{
    pthread_t t;
    void *value = NULL;
    CHECK(pthread_create(&t, NULL, sleep_until_cancelled, NULL) == 0);
    CHECK(pthread_cancel(t) == 0);
    CHECK(pthread_join(t, &value) == 0 && value == PTHREAD_CANCELED);

    CHECK(pthread_create(&t, NULL, return_arg, NULL) == 0);
    CHECK(pthread_detach(t) == 0);
}

static void check_names(void)
{
    pthread_t t;
    void *matched = NULL;
    CHECK(pthread_create(&t, NULL, report_own_name, "renamed") == 0);
    CHECK(pthread_setname_np(t, "renamed") == 0);
    pthread_mutex_lock(&gate_lock);
    name_set = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    CHECK(pthread_join(t, &matched) == 0 && matched == (void *)1);
    CHECK(pthread_setname_np(pthread_self(), "this-name-is-far-too-long") == ERANGE);
}

static void check_c11(void)
{
    thrd_t t;
    int result = 0;
    CHECK(thrd_create(&t, c11_add_one, (void *)41) == thrd_success);
    CHECK(thrd_join(t, &result) == thrd_success && result == 42);
    CHECK(thrd_create(&t, c11_exit_early, (void *)21) == thrd_success);
    CHECK(thrd_join(t, &result) == thrd_success && result == 42);
    CHECK(thrd_create(&t, c11_add_one, NULL) == thrd_success);
    CHECK(thrd_detach(t) == thrd_success);
}

int main(void)
{
    check_return_values();
    check_errors_and_errno();
    check_try_and_timed_joins();
    check_cancel_and_detach();
    check_names();
    check_c11();
    usleep(50 * 1000); /* let the detached threads finish */
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
