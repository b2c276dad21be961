/* Naming the callable behind a std::thread; see cxx_threads.h. */
#include "cxx_threads.h"

#include "module_text.h"

#include <stdint.h>

static struct tl__text_range libstdcxx_text;

void cxx_threads_init(void)
{
    module_text_named("/libstdc++.so", &libstdcxx_text);
}

void *cxx_thread_user_routine(void *routine, void *arg)
{
    if (!arg || !text_range_holds(&libstdcxx_text, (uintptr_t)routine))
        return routine;
    /* Itanium C++ ABI: the object starts with its vtable pointer, and _State's virtual functions
     * are the complete destructor, the deleting destructor, then _M_run. */
    void *const *vtable = *(void *const *const *)arg;
    return vtable && vtable[2] ? vtable[2] : routine;
}
