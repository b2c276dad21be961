/* See module_text.h. One dl_iterate_phdr walk, two ways to pick the module; the module at a known
 * base is read from its own headers. */
#include "module_text.h"

#include <link.h>
#include <string.h>

enum module_key { BY_ADDRESS, BY_NAME };

struct module_search {
    enum module_key key;
    uintptr_t address; /* BY_ADDRESS */
    const char *name;  /* BY_NAME */
    struct tl__text_range found;
};

static bool segment_holds(const struct dl_phdr_info *info, const ElfW(Phdr) * ph, uintptr_t pc)
{
    uintptr_t begin = info->dlpi_addr + ph->p_vaddr;
    return ph->p_type == PT_LOAD && pc >= begin && pc < begin + ph->p_memsz;
}

static bool module_matches(const struct dl_phdr_info *info, const struct module_search *s)
{
    switch (s->key) {
    case BY_NAME:
        return info->dlpi_name && strstr(info->dlpi_name, s->name);
    case BY_ADDRESS:
        for (int i = 0; i < info->dlpi_phnum; i++) {
            if (segment_holds(info, &info->dlpi_phdr[i], s->address))
                return true;
        }
        return false;
    }
    return false;
}

static int visit_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct module_search *s = arg;
    if (!module_matches(info, s))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        /* By address, the segment that holds it; otherwise the module's first code segment. */
        if (s->key == BY_ADDRESS && !segment_holds(info, ph, s->address))
            continue;
        s->found.begin = info->dlpi_addr + ph->p_vaddr;
        s->found.end = s->found.begin + ph->p_memsz;
        s->found.in_program = !info->dlpi_name || !*info->dlpi_name; /* how glibc lists it */
        return 1;
    }
    return 0;
}

static bool search(struct module_search *s, struct tl__text_range *out)
{
    dl_iterate_phdr(visit_module, s);
    *out = s->found;
    return out->end > out->begin;
}

bool module_text_containing(const void *address, struct tl__text_range *out)
{
    struct module_search s = {.key = BY_ADDRESS, .address = (uintptr_t)address};
    return search(&s, out);
}

/* From the ELF and program headers the module maps at its base (its first loadable segment
 * starts at file offset 0), without dl_iterate_phdr: a live dump's first use of it may come in a
 * forked child, where that lock may have been left held by a thread of the parent (stack_capture.h,
 * stack_capture_in_forked_image). */
bool module_text_at_base(uintptr_t base, struct tl__text_range *out)
{
    memset(out, 0, sizeof *out);
    if (base == 0)
        return false;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_phentsize != sizeof(ElfW(Phdr)))
        return false;
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)(base + eh->e_phoff);
    uintptr_t bias = 0;
    bool first_load = true;
    for (int i = 0; i < eh->e_phnum; i++) {
        const ElfW(Phdr) *ph = &phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (first_load) /* mapped at base, rounded down to its page as the loader maps it */
            bias = base - (ph->p_vaddr - ph->p_offset);
        first_load = false;
        if (!(ph->p_flags & PF_X))
            continue;
        out->begin = bias + ph->p_vaddr;
        out->end = out->begin + ph->p_memsz;
        return true;
    }
    return false;
}

bool module_text_named(const char *name_part, struct tl__text_range *out)
{
    struct module_search s = {.key = BY_NAME, .name = name_part};
    return search(&s, out);
}
