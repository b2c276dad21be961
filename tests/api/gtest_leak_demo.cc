// A GoogleTest program in which some tests leak on purpose, run by gtest_check.cmake, which checks
// that exactly those fail, each with its own threads, named as GoogleTest names the test, at the
// line marked "site:" below. The leaked threads wait for a release that never comes; the process
// exits with them running (the ctest sets exitcode=0 so the exit report does not change the
// status: the checks are GoogleTest's).
#include <threadleak_gtest.h> /* forwards to threadleak_gtest.hpp: either name works */

#include <pthread.h>

namespace
{

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
bool spawn_now;
bool spawned;

[[noreturn]] void wait_forever()
{
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&changed, &lock);
}

extern "C" void *one_worker(void *)
{
    wait_forever();
}
extern "C" void *param_worker(void *)
{
    wait_forever();
}
extern "C" void *typed_worker(void *)
{
    wait_forever();
}
extern "C" void *env_worker(void *)
{
    wait_forever();
}
extern "C" void *b_worker(void *)
{
    wait_forever();
}
extern "C" void *spawned_child(void *)
{
    wait_forever();
}
extern "C" void *joined_worker(void *arg)
{
    return arg;
}

// Leaked by Demo.OverlapA; when Demo.OverlapB says so, it creates another thread, which is
// OverlapA's too (scopes are inherited), and must not be blamed on OverlapB.
extern "C" void *a_spawner(void *)
{
    pthread_mutex_lock(&lock);
    while (!spawn_now)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    pthread_t t;
    int rc = pthread_create(&t, nullptr, spawned_child, nullptr); // site: spawned_child
    pthread_mutex_lock(&lock);
    spawned = rc == 0;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    wait_forever();
}

pthread_t start(void *(*fn)(void *))
{
    pthread_t t;
    EXPECT_EQ(pthread_create(&t, nullptr, fn, nullptr), 0); // site: start
    return t;
}

// Started by the global environment, outside any test: the end-of-program check's.
class LeakyEnvironment : public ::testing::Environment
{
  public:
    void SetUp() override
    {
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, nullptr, env_worker, nullptr), 0); // site: env_worker
    }
};

} // namespace

TEST(Demo, Clean)
{
    pthread_t t = start(joined_worker);
    pthread_join(t, nullptr);
}

TEST(Demo, LeaksOne)
{
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, one_worker, nullptr), 0); // site: one_worker
}

TEST(Demo, OverlapA)
{
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, a_spawner, nullptr), 0); // site: a_spawner
}

TEST(Demo, OverlapB)
{
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, b_worker, nullptr), 0); // site: b_worker
    pthread_mutex_lock(&lock);
    spawn_now = true;
    pthread_cond_broadcast(&changed);
    while (!spawned)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
}

class Param : public ::testing::TestWithParam<int>
{
};

TEST_P(Param, Leaks)
{
    if (GetParam() == 2) {
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, nullptr, param_worker, nullptr), 0); // site: param_worker
    }
}

INSTANTIATE_TEST_SUITE_P(Sizes, Param, ::testing::Values(1, 2));

template <typename T> class Typed : public ::testing::Test
{
};
using Types = ::testing::Types<int, char>;
TYPED_TEST_SUITE(Typed, Types);

TYPED_TEST(Typed, Leaks)
{
    if (sizeof(TypeParam) == 1) {
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, nullptr, typed_worker, nullptr), 0); // site: typed_worker
    }
}

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    if (!getenv("DEMO_NO_ENVIRONMENT"))
        ::testing::AddGlobalTestEnvironment(new LeakyEnvironment);
    // The leaked threads wait forever: a short linger only makes the failures come sooner.
    tl_options opts{};
    opts.linger_ms = 50;
    threadleak::InstallGTestListener(&opts);
    return RUN_ALL_TESTS();
}
