// lock_abba.c with std::mutex and std::lock_guard: std::mutex::lock reaches pthread_mutex_lock
// through the PLT, so the pthread wrappers see it. Expected: one lock_order cycle.
#include <mutex>
#include <thread>

static std::mutex a, b;

static void a_then_b()
{
    std::lock_guard<std::mutex> ha(a);
    std::lock_guard<std::mutex> hb(b); // CXX_B_ACQUIRED
}

static void b_then_a()
{
    std::lock_guard<std::mutex> hb(b);
    std::lock_guard<std::mutex> ha(a); // CXX_A_ACQUIRED
}

int main()
{
    std::thread(a_then_b).join();
    std::thread(b_then_a).join();
    return 0;
}
