// The headers from C++, and std::thread: a thread a test forgets to join is found, and
// ignore_created_by takes C++ names as the report prints them (demangled).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
extern "C" { // cmocka 1.1's header has no C++ linkage of its own
#include <cmocka.h>
}

#include "threadleak_cmocka.h"

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace
{

std::mutex lock;
std::condition_variable changed;
bool released = false;

void wait_for_release()
{
    std::unique_lock<std::mutex> hold(lock);
    changed.wait(hold, [] { return released; });
}

void release_all()
{
    std::lock_guard<std::mutex> hold(lock);
    released = true;
    changed.notify_all();
}

std::thread forgotten;

} // namespace

namespace service
{
__attribute__((noinline)) std::thread start_listener()
{
    std::thread t(wait_for_release);
    __asm__ volatile("" ::: "memory");
    return t;
}
} // namespace service

namespace
{

void test_forgotten_std_thread_is_found(void **state)
{
    (void)state;
    forgotten = service::start_listener();
    tl_options quick{};
    quick.linger_ms = TL_LINGER_NONE;
    tl_report *r = tl_find(&quick);
    assert_int_equal(tl_report_count(r), 1);
    char *text = tl_report_string(r, TL_FORMAT_TEXT);
    assert_non_null(std::strstr(text, "service::start_listener()"));
    std::free(text);
    tl_report_free(r);

    // The demangled name, with or without its parameter list, or a prefix.
    const char *const exact[] = {"service::start_listener()", nullptr};
    const char *const bare[] = {"service::start_listener", nullptr};
    const char *const prefix[] = {"service::*", nullptr};
    const char *const other[] = {"service::start", nullptr};
    quick.ignore_created_by = exact;
    assert_int_equal(tl_verify_none(&quick), 0);
    quick.ignore_created_by = bare;
    assert_int_equal(tl_verify_none(&quick), 0);
    quick.ignore_created_by = prefix;
    assert_int_equal(tl_verify_none(&quick), 0);
    quick.ignore_created_by = other;
    quick.out = stdout;
    assert_int_equal(tl_verify_none(&quick), 1);
}

// Runs even when a test failed half-way, so the process never exits with a thread blocked on
// a condition variable that static destructors are about to destroy.
int release_threads(void **state)
{
    (void)state;
    release_all();
    if (forgotten.joinable())
        forgotten.join();
    return 0;
}

void test_scope_from_cxx(void **state)
{
    (void)state;
    assert_string_equal(tl_scope_current(), "test_scope_from_cxx");
}

} // namespace

int main()
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forgotten_std_thread_is_found),
        tl_cmocka_unit_test(test_scope_from_cxx),
    };
    return cmocka_run_group_tests(tests, nullptr, release_threads);
}
