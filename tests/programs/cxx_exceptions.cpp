// C++ exceptions thrown and caught inside threads, and carried across threads with
// std::exception_ptr. Under the shim they must still go through libgcc's unwinder: if libunwind's
// _Unwind_* leaked into the global scope, this would crash or terminate. Exits 0 and leaks nothing.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static void thrower(int depth)
{
    if (depth == 0)
        throw std::runtime_error("deep failure");
    thrower(depth - 1);
}

int main()
{
    std::vector<std::exception_ptr> errors(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; i++) {
        threads.emplace_back([i, &errors] {
            try {
                thrower(i + 3);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    }
    for (auto &t : threads)
        t.join();
    int caught = 0;
    for (auto &e : errors) {
        try {
            std::rethrow_exception(e);
        } catch (const std::runtime_error &err) {
            caught += std::string(err.what()) == "deep failure";
        }
    }
    std::printf("caught %d\n", caught);
    return caught == 8 ? 0 : 1;
}
