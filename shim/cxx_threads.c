/* Naming the callable behind a std::thread; see cxx_threads.h. */
#include "cxx_threads.h"

#include <link.h>
#include <stdint.h>
#include <string.h>

static uintptr_t libstdcxx_text_begin, libstdcxx_text_end;

static int find_libstdcxx(struct dl_phdr_info *info, size_t size, void *unused)
{
    (void)size;
    (void)unused;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "/libstdc++.so"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            libstdcxx_text_begin = info->dlpi_addr + ph->p_vaddr;
            libstdcxx_text_end = libstdcxx_text_begin + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

void cxx_threads_init(void)
{
    dl_iterate_phdr(find_libstdcxx, NULL);
}

void *cxx_thread_user_routine(void *routine, void *arg)
{
    uintptr_t at = (uintptr_t)routine;
    if (!arg || at < libstdcxx_text_begin || at >= libstdcxx_text_end)
        return routine;
    /* Itanium C++ ABI: the object starts with its vtable pointer, and _State's virtual functions
     * are the complete destructor, the deleting destructor, then _M_run. */
    void *const *vtable = *(void *const *const *)arg;
    return vtable && vtable[2] ? vtable[2] : routine;
}
