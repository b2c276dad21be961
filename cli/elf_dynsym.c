/* .dynsym lookup through the section headers. Both ELF classes are normalised into `struct
 * section` first; the symbol table and its string table are read whole (a clang TSan program has
 * about 2,000 dynamic symbols, some 100 KiB), bounded by MAX_TABLE_SIZE. */
#include "elf_dynsym.h"

#include "pread_exact.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

#define MAX_SECTIONS   65535
#define MAX_TABLE_SIZE (64u << 20) /* far beyond any real .dynsym or .dynstr */

struct section {
    uint32_t type, link;
    uint64_t offset, size, entsize;
};

struct elf_file {
    int fd;
    uint64_t size;
    unsigned char elf_class;
    uint64_t shoff;
    uint16_t shentsize;
    uint32_t shnum;
};

static bool read_exact(const struct elf_file *f, uint64_t off, void *buf, size_t len)
{
    return pread_exact(f->fd, f->size, off, buf, len);
}

static bool read_header(struct elf_file *f)
{
    unsigned char ident[EI_NIDENT];
    if (!read_exact(f, 0, ident, sizeof ident) || memcmp(ident, ELFMAG, SELFMAG) != 0 ||
        ident[EI_DATA] != NATIVE_DATA)
        return false;
    f->elf_class = ident[EI_CLASS];
    if (f->elf_class == ELFCLASS64) {
        Elf64_Ehdr h;
        if (!read_exact(f, 0, &h, sizeof h))
            return false;
        *f = (struct elf_file){f->fd, f->size, f->elf_class, h.e_shoff, h.e_shentsize, h.e_shnum};
        return h.e_shentsize == sizeof(Elf64_Shdr);
    }
    if (f->elf_class == ELFCLASS32) {
        Elf32_Ehdr h;
        if (!read_exact(f, 0, &h, sizeof h))
            return false;
        *f = (struct elf_file){f->fd, f->size, f->elf_class, h.e_shoff, h.e_shentsize, h.e_shnum};
        return h.e_shentsize == sizeof(Elf32_Shdr);
    }
    return false;
}

static bool read_section(const struct elf_file *f, uint32_t index, struct section *s)
{
    uint64_t off = f->shoff + (uint64_t)index * f->shentsize;
    if (f->elf_class == ELFCLASS64) {
        Elf64_Shdr h;
        if (!read_exact(f, off, &h, sizeof h))
            return false;
        *s = (struct section){h.sh_type, h.sh_link, h.sh_offset, h.sh_size, h.sh_entsize};
    } else {
        Elf32_Shdr h;
        if (!read_exact(f, off, &h, sizeof h))
            return false;
        *s = (struct section){h.sh_type, h.sh_link, h.sh_offset, h.sh_size, h.sh_entsize};
    }
    return true;
}

/* With more than SHN_LORESERVE sections, e_shnum is 0 and section 0's sh_size holds the count. */
static bool section_count(struct elf_file *f)
{
    if (f->shoff == 0)
        return false;
    if (f->shnum == 0) {
        struct section zero;
        if (!read_section(f, 0, &zero) || zero.size > MAX_SECTIONS)
            return false;
        f->shnum = (uint32_t)zero.size;
    }
    return f->shnum > 0;
}

/* The section's bytes in a fresh buffer with a NUL after them; NULL when it does not fit. */
static char *load_section(const struct elf_file *f, const struct section *s)
{
    if (s->size > MAX_TABLE_SIZE) {
        errno = EFBIG;
        return NULL;
    }
    char *buf = malloc(s->size + 1);
    if (buf && !read_exact(f, s->offset, buf, s->size)) {
        free(buf);
        errno = EINVAL;
        return NULL;
    }
    if (buf)
        buf[s->size] = '\0';
    return buf;
}

/* Reads symbol i of the table as (name offset, section index). */
static void symbol_at(unsigned char elf_class, const char *table, uint64_t i, uint32_t *name,
                      uint16_t *shndx)
{
    if (elf_class == ELFCLASS64) {
        Elf64_Sym sym;
        memcpy(&sym, table + i * sizeof sym, sizeof sym);
        *name = sym.st_name;
        *shndx = sym.st_shndx;
    } else {
        Elf32_Sym sym;
        memcpy(&sym, table + i * sizeof sym, sizeof sym);
        *name = sym.st_name;
        *shndx = sym.st_shndx;
    }
}

static int search_symbols(const struct elf_file *f, const struct section *symtab,
                          const struct section *strtab, const char *name)
{
    uint64_t entsize = f->elf_class == ELFCLASS64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    if (symtab->entsize != entsize)
        return TL_DYNSYM_ABSENT;
    char *syms = load_section(f, symtab);
    char *strs = syms ? load_section(f, strtab) : NULL;
    if (!strs) {
        free(syms);
        return -1;
    }
    int result = TL_DYNSYM_ABSENT;
    uint64_t count = symtab->size / entsize;
    for (uint64_t i = 1; i < count && result == TL_DYNSYM_ABSENT; i++) {
        uint32_t at;
        uint16_t shndx;
        symbol_at(f->elf_class, syms, i, &at, &shndx);
        /* strs has a NUL after its last byte, so strcmp stops inside the buffer. */
        if (at < strtab->size && strcmp(strs + at, name) == 0)
            result = shndx == SHN_UNDEF ? TL_DYNSYM_UNDEFINED : TL_DYNSYM_DEFINED;
    }
    free(syms);
    free(strs);
    return result;
}

static int lookup(struct elf_file *f, const char *name)
{
    if (!read_header(f) || !section_count(f))
        return TL_DYNSYM_ABSENT;
    for (uint32_t i = 0; i < f->shnum; i++) {
        struct section s, str;
        if (!read_section(f, i, &s))
            return TL_DYNSYM_ABSENT;
        if (s.type != SHT_DYNSYM)
            continue;
        if (s.link >= f->shnum || !read_section(f, s.link, &str) || str.type != SHT_STRTAB)
            return TL_DYNSYM_ABSENT;
        return search_symbols(f, &s, &str, name);
    }
    return TL_DYNSYM_ABSENT;
}

int elf_dynsym_lookup(const char *path, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int result = -1;
    if (fstat(fd, &st) == 0) {
        struct elf_file f = {.fd = fd, .size = (uint64_t)st.st_size};
        result = lookup(&f, name);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}
