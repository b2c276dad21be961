// GoogleTest tests checked for leaked threads by threadleak. Nothing here mentions threadleak:
// the binary links threadleak::gtest_main instead of GTest::gtest_main (CMakeLists.txt), whose
// listener fails any test that leaves a thread behind.
//
// Pool.StopsItsWorkers passes. Pool.ForgetsToStop and Watchdog.NeverStopped fail, on purpose, to
// show the message:
//   examples/pool/pool.h:42: Failure
//   Failed
//   threadleak: test Pool.ForgetsToStop leaked 2 threads: start routine pool_worker(void*),
//   created at examples/pool/pool.h:42 in pool_start, blocked in futex wait (condition)
// (one line) followed by threadleak's report. Run one or the other with --gtest_filter.
#include <gtest/gtest.h>

#include "pool.h"

TEST(Pool, StopsItsWorkers)
{
    struct pool p;
    ASSERT_EQ(pool_start(&p), POOL_SIZE);
    pool_stop(&p);
}

TEST(Pool, ForgetsToStop)
{
    static struct pool p; // outlives the test, as the leaked workers use it
    ASSERT_EQ(pool_start(&p), POOL_SIZE);
}

TEST(Watchdog, NeverStopped)
{
    ASSERT_EQ(watchdog_start(), 0);
}
