/* tl_marked_name: recognising a TL_MARKED_NAME string literal behind a pointer of unknown origin.
 *
 * The cmocka helpers pass a test's name as cmocka's "prestate", but cmocka hands tests the group
 * state instead whenever the group setup made one, and that may be any pointer or integer. A
 * string literal lives in a read-only segment of a loaded object, so the pointer is read only
 * when it lies inside such a segment, and never past its end. */
#include "test_api_internal.h"

#include <link.h>
#include <string.h>

#define MARKED_NAME_MAX 4096 /* a name must end within this many bytes */

struct segment_search {
    uintptr_t address;
    size_t readable; /* bytes from address to the end of its read-only segment; 0 = none */
};

static int find_read_only_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct segment_search *search = arg;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || !(ph->p_flags & PF_R))
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        uintptr_t end = start + ph->p_filesz;
        if (search->address >= start && search->address < end) {
            search->readable = end - search->address;
            return 1;
        }
    }
    return 0;
}

THREADLEAK_API const char *tl_marked_name(const void *p)
{
    struct segment_search search = {(uintptr_t)p, 0};
    if (!p || dl_iterate_phdr(find_read_only_segment, &search) == 0)
        return NULL;
    size_t marker = sizeof TL_NAME_MARKER - 1;
    if (search.readable <= marker || memcmp(p, TL_NAME_MARKER, marker) != 0)
        return NULL;
    const char *name = (const char *)p + marker;
    size_t max = search.readable - marker;
    if (max > MARKED_NAME_MAX)
        max = MARKED_NAME_MAX;
    return memchr(name, '\0', max) ? name : NULL;
}
