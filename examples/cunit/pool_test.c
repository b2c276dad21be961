/* CUnit tests checked for leaked threads by threadleak: the include and the suite's per-test
 * setup and teardown are the whole change. test_pool_stops_its_workers passes; the others fail,
 * on purpose, to show the message (basic runner):
 *   1. examples/pool/pool.h:42  - threadleak: test test_pool_forgets_to_stop leaked 2 threads:
 *      start routine pool_worker, created at examples/pool/pool.h:42 in pool_start, blocked in
 *      futex wait (condition)
 * with threadleak's report on stderr. `pool_test NAME` runs the test NAME alone. */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <threadleak_cunit.h>

#include "pool.h"

#include <stdlib.h>
#include <string.h>

static void test_pool_stops_its_workers(void)
{
    struct pool p;
    CU_ASSERT_EQUAL(pool_start(&p), POOL_SIZE);
    pool_stop(&p);
}

static void test_pool_forgets_to_stop(void)
{
    static struct pool p; /* outlives the test, as the leaked workers use it */
    CU_ASSERT_EQUAL(pool_start(&p), POOL_SIZE);
}

static void test_watchdog_never_stopped(void)
{
    CU_ASSERT_EQUAL(watchdog_start(), 0);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        {"test_pool_stops_its_workers", test_pool_stops_its_workers},
        {"test_pool_forgets_to_stop", test_pool_forgets_to_stop},
        {"test_watchdog_never_stopped", test_watchdog_never_stopped},
    };
    if (CU_initialize_registry() != CUE_SUCCESS)
        return EXIT_FAILURE;
    CU_pSuite suite = CU_add_suite_with_setup_and_teardown("pool", NULL, NULL, tl_cunit_setup,
                                                           tl_cunit_teardown); /* the one line */
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (argc < 2 || strcmp(argv[1], tests[i].name) == 0)
            CU_add_test(suite, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
