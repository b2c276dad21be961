/* Check tests checked for leaked threads by threadleak: the include and the
 * tcase_add_checked_fixture line are the whole change. test_pool_stops_its_workers passes; the
 * others fail, on purpose, to show the message:
 *   examples/pool/pool.h:42:F:pool:test_pool_forgets_to_stop:0: threadleak: test
 *   test_pool_forgets_to_stop leaked 2 threads: start routine pool_worker, created at
 *   examples/pool/pool.h:42 in pool_start, blocked in futex wait (condition)
 * with threadleak's report on stderr. Each TCase here has one test, so CK_RUN_CASE=clean runs
 * one. Check runs each test in a process of its own (fork mode): its leaks are that test's. */
#include <check.h>
#include <threadleak_check.h>

#include "pool.h"

#include <stdlib.h>

START_TEST(test_pool_stops_its_workers)
{
    struct pool p;
    ck_assert_int_eq(pool_start(&p), POOL_SIZE);
    pool_stop(&p);
}
END_TEST

START_TEST(test_pool_forgets_to_stop)
{
    static struct pool p; /* outlives the test, as the leaked workers use it */
    ck_assert_int_eq(pool_start(&p), POOL_SIZE);
}
END_TEST

START_TEST(test_watchdog_never_stopped)
{
    ck_assert_int_eq(watchdog_start(), 0);
}
END_TEST

static void add_case(Suite *s, const char *name, const TTest *test)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, tl_check_setup, tl_check_teardown); /* the one line */
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

int main(void)
{
    Suite *s = suite_create("pool");
    add_case(s, "clean", test_pool_stops_its_workers);
    add_case(s, "forgets", test_pool_forgets_to_stop);
    add_case(s, "watchdog", test_watchdog_never_stopped);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
