/* ThreadSanitizer and AddressSanitizer detection. Their thread trampolines,
 * `__tsan_thread_start_func` and ASan's static `asan_thread_start`, are not exported by clang's
 * executables nor by gcc's libtsan.so.2 and libasan.so.8, so they are looked up in the ELF symbol
 * table (.symtab) of whichever object holds the sanitizer's pthread_create interceptor. Only
 * processes with a sanitizer pay for that. */
#include "sanitizer_interplay.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void *tsan_trampoline; /* __tsan_thread_start_func, NULL without TSan */
static void *asan_trampoline; /* asan_thread_start, NULL without ASan */

/* ASan hands its trampoline an AsanThread, which it mmaps before the creation and keeps for the
 * thread's life. The class has no virtual functions; its first fields are context_,
 * start_routine_ and arg_ (asan_thread.h in LLVM 14, and in GCC 12's libasan made from it).
 * e2e test cli_asan_order checks the start routine read through them. */
enum { ASAN_THREAD_START_ROUTINE = 1, ASAN_THREAD_ARG = 2 };
static bool below_tsan;

static void *symtab_lookup(const unsigned char *image, size_t size, const char *name)
{
    const ElfW(Ehdr) *eh = (const void *)image;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > size)
        return NULL;
    const ElfW(Shdr) *sections = (const void *)(image + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        const ElfW(Shdr) *symtab = &sections[i];
        if (symtab->sh_type != SHT_SYMTAB || symtab->sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *strtab = &sections[symtab->sh_link];
        if (symtab->sh_offset + symtab->sh_size > size ||
            strtab->sh_offset + strtab->sh_size > size)
            return NULL;
        const ElfW(Sym) *syms = (const void *)(image + symtab->sh_offset);
        size_t count = symtab->sh_size / sizeof *syms;
        const char *strings = (const char *)image + strtab->sh_offset;
        for (size_t k = 0; k < count; k++) {
            if (syms[k].st_name < strtab->sh_size && syms[k].st_value &&
                strcmp(strings + syms[k].st_name, name) == 0)
                return (void *)(uintptr_t)syms[k].st_value;
        }
    }
    return NULL;
}

/* Finds a non-exported function in the object that contains `anchor`. */
static void *find_static_symbol(void *anchor, const char *name)
{
    Dl_info info;
    struct link_map *map = NULL;
    if (!dladdr1(anchor, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
        return NULL;
    const char *path = map->l_name && map->l_name[0] ? map->l_name : "/proc/self/exe";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *image = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (image == MAP_FAILED)
        return NULL;
    void *offset = symtab_lookup(image, (size_t)st.st_size, name);
    munmap(image, (size_t)st.st_size);
    return offset ? (void *)(map->l_addr + (uintptr_t)offset) : NULL;
}

void sanitizer_interplay_init(void *real_pthread_create)
{
    void *interceptor = dlsym(RTLD_DEFAULT, "__interceptor_pthread_create");
    if (!interceptor)
        return;
    tsan_trampoline = dlsym(RTLD_DEFAULT, "__tsan_thread_start_func");
    if (!tsan_trampoline)
        tsan_trampoline = find_static_symbol(interceptor, "__tsan_thread_start_func");
    below_tsan = tsan_trampoline && real_pthread_create != interceptor;
    if (!tsan_trampoline)
        asan_trampoline = find_static_symbol(interceptor, "_ZL17asan_thread_startPv");
}

bool sanitizer_below_tsan(void)
{
    return below_tsan;
}

void *sanitizer_user_start_routine(void *(*start)(void *), void *arg)
{
    /* TSan's ThreadParam begins with the user's callback, in LLVM 14 and GCC 12 alike, and it
     * lives on the creator's stack until the new thread has read it. */
    if (tsan_trampoline && (void *)start == tsan_trampoline && arg)
        return *(void **)arg;
    if (asan_trampoline && (void *)start == asan_trampoline && arg)
        return ((void **)arg)[ASAN_THREAD_START_ROUTINE];
    return (void *)start;
}

void *sanitizer_user_start_arg(void *(*start)(void *), void *arg)
{
    if (tsan_trampoline && (void *)start == tsan_trampoline && arg)
        return ((void **)arg)[1];
    if (asan_trampoline && (void *)start == asan_trampoline && arg)
        return ((void **)arg)[ASAN_THREAD_ARG];
    return arg;
}

bool sanitizer_is_own_thread(void *(*start)(void *))
{
    return below_tsan && (void *)start != tsan_trampoline;
}
