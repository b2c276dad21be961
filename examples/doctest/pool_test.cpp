// doctest test cases checked for leaked threads by threadleak: the include and the
// REGISTER_LISTENER line are the whole change. "pool stops its workers" passes; the others fail,
// on purpose, to show the message:
//   examples/pool/pool.h:42: ERROR: CHECK( no leaked threads ) is NOT correct!
//     values: CHECK( threadleak: test pool forgets to stop leaked 2 threads: start routine
//     pool_worker(void*), created at examples/pool/pool.h:42 in pool_start, blocked in futex
//     wait (condition)
// followed by threadleak's report. Run one with -tc="pool stops its workers".
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <threadleak_doctest.hpp>
REGISTER_LISTENER("threadleak", 1, threadleak::DoctestListener);

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

// doctest runs a test case once per leaf subcase; each run is checked on its own, so the first
// run passes and the second fails.
TEST_CASE("pool in subcases")
{
    static struct pool pools[2];
    static int run;
    struct pool *p = &pools[run++ % 2];
    REQUIRE(pool_start(p) == POOL_SIZE);
    SUBCASE("stopped")
    {
        pool_stop(p);
    }
    SUBCASE("forgotten")
    {
    }
}
