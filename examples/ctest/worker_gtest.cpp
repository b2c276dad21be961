// GoogleTest cases that gtest_discover_tests finds when ctest runs, after threadleak_gate_tests():
// the gate reaches them too. Leaky.LeavesAThreadRunning must fail under it, Clean.Joins pass.
#include <gtest/gtest.h>

#include <pthread.h>
#include <unistd.h>

static void *wait_forever(void *)
{
    for (;;)
        pause();
    return nullptr;
}

TEST(Clean, Joins)
{
    pthread_t t;
    ASSERT_EQ(pthread_create(
                  &t, nullptr, [](void *p) -> void * { return p; }, nullptr),
              0);
    ASSERT_EQ(pthread_join(t, nullptr), 0);
}

TEST(Leaky, LeavesAThreadRunning)
{
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, wait_forever, nullptr), 0);
}
