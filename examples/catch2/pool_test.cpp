// Catch2 test cases checked for leaked threads by threadleak: the include and the
// CATCH_REGISTER_LISTENER line are the whole change. "pool stops its workers" passes; the others
// fail, on purpose, to show the message:
//   examples/pool/pool.h:42: FAILED:
//   explicitly with message:
//     threadleak: test pool forgets to stop leaked 2 threads: start routine pool_worker(void*),
//     created at examples/pool/pool.h:42 in pool_start, blocked in futex wait (condition)
// followed by threadleak's report. Run one with its name: ./pool_test "pool stops its workers".
// Catch2's main comes from Catch2::Catch2WithMain (CMakeLists.txt); with CATCH_CONFIG_MAIN in this
// file instead, the include and the line stay the same.
#include <threadleak_catch2.hpp>
CATCH_REGISTER_LISTENER(ThreadleakListener)

#include "pool.h"

TEST_CASE("pool stops its workers")
{
    struct pool p;
    REQUIRE(pool_start(&p) == POOL_SIZE);
    pool_stop(&p);
}

TEST_CASE("pool forgets to stop")
{
    static struct pool p; // outlives the test, as the leaked workers use it
    REQUIRE(pool_start(&p) == POOL_SIZE);
}

TEST_CASE("watchdog never stopped")
{
    REQUIRE(watchdog_start() == 0);
}

// Catch2 runs a test case once per leaf section; each run is checked on its own, so the first
// run passes and the second fails.
TEST_CASE("pool in sections")
{
    static struct pool pools[2];
    static int run;
    struct pool *p = &pools[run++ % 2];
    REQUIRE(pool_start(p) == POOL_SIZE);
    SECTION("stopped")
    {
        pool_stop(p);
    }
    SECTION("forgotten")
    {
    }
}
