/* See module_text.h. One dl_iterate_phdr walk, three ways to pick the module. */
#include "module_text.h"

#include <link.h>
#include <string.h>

enum module_key { BY_ADDRESS, BY_BASE, BY_NAME };

struct module_search {
    enum module_key key;
    uintptr_t address; /* BY_ADDRESS, BY_BASE */
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
    case BY_BASE:
        return info->dlpi_addr == s->address;
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

bool module_text_at_base(uintptr_t base, struct tl__text_range *out)
{
    struct module_search s = {.key = BY_BASE, .address = base};
    return base != 0 && search(&s, out);
}

bool module_text_named(const char *name_part, struct tl__text_range *out)
{
    struct module_search s = {.key = BY_NAME, .name = name_part};
    return search(&s, out);
}
