// A C++ function with a mangled name, for test_symbolize. Using std::runtime_error, whose
// constructor lives in libstdc++, keeps libstdc++ (and so __cxa_demangle) in the test process.
#include <stdexcept>

#include "symbolize_cxx_probe.h"

namespace tlprobe
{
// Where a compiler puts the entry's line (the signature, the brace or the first statement) varies
// with the optimisation level; the test accepts any line of the function.
enum { mangled_probe_first_line = __LINE__ + 1 };
__attribute__((noinline)) int mangled_probe(int x)
{
    if (x < 0)
        throw std::runtime_error("negative");
    return x * 3 + 1;
}
enum { mangled_probe_last_line = __LINE__ - 1 };
} // namespace tlprobe

extern "C" const void *symbolize_cxx_probe_address(void)
{
    return reinterpret_cast<const void *>(&tlprobe::mangled_probe);
}

extern "C" int symbolize_cxx_probe_first_line(void)
{
    return tlprobe::mangled_probe_first_line;
}

extern "C" int symbolize_cxx_probe_last_line(void)
{
    return tlprobe::mangled_probe_last_line;
}

extern "C" int symbolize_cxx_probe_call(int x)
{
    return tlprobe::mangled_probe(x);
}
