// Boost.Test test cases checked for leaked threads by threadleak: the include and the
// BOOST_TEST_GLOBAL_FIXTURE line are the whole change. pool_stops_its_workers passes; the others
// fail, on purpose, to show the message:
//   examples/pool/pool.h(42): error: in "pool_forgets_to_stop": threadleak: test
//   pool_forgets_to_stop leaked 2 threads: start routine pool_worker(void*), created at
//   examples/pool/pool.h:42 in pool_start, blocked in futex wait (condition)
// followed by threadleak's report. Run one with --run_test=pool_stops_its_workers.
#define BOOST_TEST_MODULE pool
#include <boost/test/unit_test.hpp>
#include <threadleak_boost_test.hpp>
BOOST_TEST_GLOBAL_FIXTURE(ThreadleakGlobalFixture);

#include "pool.h"

BOOST_AUTO_TEST_CASE(pool_stops_its_workers)
{
    struct pool p;
    BOOST_TEST(pool_start(&p) == POOL_SIZE);
    pool_stop(&p);
}

BOOST_AUTO_TEST_CASE(pool_forgets_to_stop)
{
    static struct pool p; // outlives the test, as the leaked workers use it
    BOOST_TEST(pool_start(&p) == POOL_SIZE);
}

BOOST_AUTO_TEST_CASE(watchdog_never_stopped)
{
    BOOST_TEST(watchdog_start() == 0);
}
