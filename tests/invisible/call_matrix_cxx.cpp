// The C++ cases of call_matrix: libstdc++'s sleep and condition variable waits.
#include "call_matrix.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace
{
std::mutex cv_mutex;
std::condition_variable cv;
bool cv_released = false;
} // namespace

extern "C" long matrix_cxx_sleep_for(struct call_extra *)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(matrix_call_ms));
    return 0;
}

// 1: wait_for said cv_status::timeout.
extern "C" long matrix_cxx_cv_wait_for(struct call_extra *)
{
    std::unique_lock<std::mutex> lock(cv_mutex);
    std::cv_status s = cv.wait_for(lock, std::chrono::milliseconds(matrix_call_ms));
    return s == std::cv_status::timeout ? 1 : 0;
}

// 1: the predicate was true when wait_for returned (woken by matrix_release_cv).
extern "C" long matrix_cxx_cv_wait_for_wake(struct call_extra *)
{
    std::unique_lock<std::mutex> lock(cv_mutex);
    bool woken =
        cv.wait_for(lock, std::chrono::milliseconds(matrix_call_ms), [] { return cv_released; });
    return woken ? 1 : 0;
}

extern "C" void matrix_release_cv(void)
{
    {
        std::lock_guard<std::mutex> lock(cv_mutex);
        cv_released = true;
    }
    cv.notify_one();
}
