// std::shared_mutex reaches pthread_rwlock_* through the PLT. Two readers taking two shared
// mutexes in both orders do not wait for each other (clean); a writer of one against a reader of
// the other in the opposite order can deadlock. Expected: one lock_order cycle, of rwlocks.
#include <mutex>
#include <shared_mutex>
#include <thread>

static std::shared_mutex a, b;

static void read_a_then_b()
{
    std::shared_lock<std::shared_mutex> ha(a);
    std::shared_lock<std::shared_mutex> hb(b);
}

static void read_b_then_a()
{
    std::shared_lock<std::shared_mutex> hb(b);
    std::shared_lock<std::shared_mutex> ha(a);
}

static void write_b_then_a()
{
    std::unique_lock<std::shared_mutex> hb(b);
    std::unique_lock<std::shared_mutex> ha(a); // CXX_SHARED_WRITE
}

int main(int argc, char **)
{
    std::thread(read_a_then_b).join();
    std::thread(read_b_then_a).join();
    if (argc > 1) // "write": the inversion
        std::thread(write_b_then_a).join();
    return 0;
}
