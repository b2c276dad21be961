/* A cmocka suite for assert_no_lock_findings: one test takes two mutexes in both orders after its
 * snapshot and must fail with the inversion; one makes its inversion before the snapshot and must
 * pass. test_lock_findings runs it in a child process, with and without the lock module, and
 * checks how each test ends. Without the lock module both fail: nothing was checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <threadleak_cmocka.h>

#include <pthread.h>

__attribute__((noinline)) static void demo_take_in_order(pthread_mutex_t *first,
                                                         pthread_mutex_t *second)
{
    pthread_mutex_lock(first);
    pthread_mutex_lock(second);
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    __asm__ volatile("" ::: "memory"); /* no tail call: the frame stays on the stack */
}

static void demo_inversion(pthread_mutex_t *a, pthread_mutex_t *b)
{
    demo_take_in_order(a, b);
    demo_take_in_order(b, a);
}

static void test_inverts_after_the_snapshot(void **state)
{
    (void)state;
    static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
    tl_snapshot *s = tl_snapshot_take();
    demo_inversion(&a, &b);
    assert_no_lock_findings(s); /* fails here */
    tl_snapshot_free(s);
}

static void test_inverts_before_the_snapshot(void **state)
{
    (void)state;
    static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
    demo_inversion(&a, &b);
    tl_snapshot *s = tl_snapshot_take();
    demo_inversion(&a, &b); /* the same cycle again: not a new finding */
    assert_no_lock_findings(s);
    tl_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inverts_after_the_snapshot),
        cmocka_unit_test(test_inverts_before_the_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
