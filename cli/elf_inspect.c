/* ELF header inspection with <elf.h> and pread: no libelf, so that the CLI depends on nothing.
 *
 * Both classes are normalised into `struct segment` and `struct dyn_entry` first, so that the
 * logic after that is written once. */
#include "elf_inspect.h"

#include "pread_exact.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

#define MAX_SEGMENTS    1024 /* real executables have about a dozen */
#define MAX_DYN_ENTRIES 4096
#define TSAN_PREFIX     "libtsan.so."

struct segment {
    uint32_t type;
    uint64_t offset, vaddr, filesz;
};

struct dyn_entry {
    int64_t tag;
    uint64_t val;
};

struct elf_file {
    int fd;
    uint64_t size;
    unsigned char elf_class;
    uint16_t type;
    uint64_t phoff;
    uint16_t phentsize, phnum;
};

static bool read_exact(const struct elf_file *f, uint64_t off, void *buf, size_t len)
{
    return pread_exact(f->fd, f->size, off, buf, len);
}

static enum tl__elf_kind read_file_header(struct elf_file *f, struct tl__elf_info *info)
{
    unsigned char ident[EI_NIDENT];
    if (!read_exact(f, 0, ident, SELFMAG) || memcmp(ident, ELFMAG, SELFMAG) != 0)
        return TL_ELF_NOT_ELF;
    if (!read_exact(f, 0, ident, sizeof ident))
        return TL_ELF_MALFORMED;
    if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
        return TL_ELF_MALFORMED;
    info->elf_class = ident[EI_CLASS];
    f->elf_class = ident[EI_CLASS];
    if (ident[EI_DATA] != NATIVE_DATA)
        return TL_ELF_FOREIGN;
    if (f->elf_class == ELFCLASS64) {
        Elf64_Ehdr h;
        if (!read_exact(f, 0, &h, sizeof h))
            return TL_ELF_MALFORMED;
        f->type = h.e_type;
        info->machine = h.e_machine;
        f->phoff = h.e_phoff;
        f->phentsize = h.e_phentsize;
        f->phnum = h.e_phnum;
    } else {
        Elf32_Ehdr h;
        if (!read_exact(f, 0, &h, sizeof h))
            return TL_ELF_MALFORMED;
        f->type = h.e_type;
        info->machine = h.e_machine;
        f->phoff = h.e_phoff;
        f->phentsize = h.e_phentsize;
        f->phnum = h.e_phnum;
    }
    if (f->type != ET_EXEC && f->type != ET_DYN)
        return TL_ELF_NOT_EXECUTABLE;
    return TL_ELF_DYNAMIC; /* provisional: the program headers decide */
}

static bool read_segment(const struct elf_file *f, uint16_t index, struct segment *s)
{
    uint64_t off = f->phoff + (uint64_t)index * f->phentsize;
    if (f->elf_class == ELFCLASS64) {
        Elf64_Phdr p;
        if (!read_exact(f, off, &p, sizeof p))
            return false;
        *s = (struct segment){p.p_type, p.p_offset, p.p_vaddr, p.p_filesz};
    } else {
        Elf32_Phdr p;
        if (!read_exact(f, off, &p, sizeof p))
            return false;
        *s = (struct segment){p.p_type, p.p_offset, p.p_vaddr, p.p_filesz};
    }
    return true;
}

/* All program headers into segs; returns their count, or -1 when they are malformed. */
static int read_segments(const struct elf_file *f, struct segment *segs)
{
    size_t want = f->elf_class == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (f->phnum == 0)
        return 0;
    /* PN_XNUM (the count lives in a section header) never occurs in executables. */
    if (f->phentsize != want || f->phnum > MAX_SEGMENTS)
        return -1;
    for (uint16_t i = 0; i < f->phnum; i++) {
        if (!read_segment(f, i, &segs[i]))
            return -1;
    }
    return f->phnum;
}

static const struct segment *find_segment(const struct segment *segs, int n, uint32_t type)
{
    for (int i = 0; i < n; i++) {
        if (segs[i].type == type)
            return &segs[i];
    }
    return NULL;
}

/* The file offset of virtual address addr, through the PT_LOAD that maps it from the file. */
static bool vaddr_to_offset(const struct segment *segs, int n, uint64_t addr, uint64_t *off)
{
    for (int i = 0; i < n; i++) {
        const struct segment *s = &segs[i];
        if (s->type == PT_LOAD && addr >= s->vaddr && addr - s->vaddr < s->filesz) {
            *off = s->offset + (addr - s->vaddr);
            return true;
        }
    }
    return false;
}

static bool read_dyn_entry(const struct elf_file *f, uint64_t off, struct dyn_entry *e)
{
    if (f->elf_class == ELFCLASS64) {
        Elf64_Dyn d;
        if (!read_exact(f, off, &d, sizeof d))
            return false;
        *e = (struct dyn_entry){d.d_tag, d.d_un.d_val};
    } else {
        Elf32_Dyn d;
        if (!read_exact(f, off, &d, sizeof d))
            return false;
        *e = (struct dyn_entry){d.d_tag, d.d_un.d_val};
    }
    return true;
}

/* Whether the NUL-terminated string at strtab + name inside the file starts with TSAN_PREFIX;
 * copies it into out when it does. */
static bool needed_is_tsan(const struct elf_file *f, uint64_t strtab, uint64_t strsz, uint64_t name,
                           char out[TL_ELF_LIBNAME_MAX])
{
    char buf[TL_ELF_LIBNAME_MAX] = {0};
    if (name >= strsz || strtab >= f->size || name >= f->size - strtab)
        return false;
    uint64_t avail = strsz - name;
    if (avail > f->size - (strtab + name))
        avail = f->size - (strtab + name);
    size_t len = avail < sizeof buf ? (size_t)avail : sizeof buf;
    if (!read_exact(f, strtab + name, buf, len))
        return false;
    if (memchr(buf, '\0', sizeof buf) == NULL || strncmp(buf, TSAN_PREFIX, strlen(TSAN_PREFIX)))
        return false;
    memcpy(out, buf, sizeof buf);
    return true;
}

/* Looks for DT_NEEDED libtsan.so.N. A malformed dynamic section only means "not found": the
 * loader will have its own say about such a file. */
static void find_tsan_needed(const struct elf_file *f, const struct segment *segs, int n,
                             struct tl__elf_info *info)
{
    const struct segment *dyn = find_segment(segs, n, PT_DYNAMIC);
    if (!dyn)
        return;
    uint64_t entsize = f->elf_class == ELFCLASS64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
    uint64_t count = dyn->filesz / entsize;
    if (count > MAX_DYN_ENTRIES)
        count = MAX_DYN_ENTRIES;
    uint64_t strtab_addr = 0, strsz = 0, needed[MAX_DYN_ENTRIES];
    size_t nneeded = 0;
    for (uint64_t i = 0; i < count; i++) {
        struct dyn_entry e;
        if (!read_dyn_entry(f, dyn->offset + i * entsize, &e) || e.tag == DT_NULL)
            break;
        if (e.tag == DT_STRTAB)
            strtab_addr = e.val;
        else if (e.tag == DT_STRSZ)
            strsz = e.val;
        else if (e.tag == DT_NEEDED)
            needed[nneeded++] = e.val;
    }
    uint64_t strtab;
    if (nneeded == 0 || !vaddr_to_offset(segs, n, strtab_addr, &strtab))
        return;
    for (size_t i = 0; i < nneeded; i++) {
        if (needed_is_tsan(f, strtab, strsz, needed[i], info->tsan_needed))
            return;
    }
}

static enum tl__elf_kind classify(struct elf_file *f, struct tl__elf_info *info)
{
    enum tl__elf_kind kind = read_file_header(f, info);
    if (kind != TL_ELF_DYNAMIC)
        return kind;
    static struct segment segs[MAX_SEGMENTS]; /* the CLI is single-threaded */
    int n = read_segments(f, segs);
    if (n < 0)
        return TL_ELF_MALFORMED;
    if (!find_segment(segs, n, PT_INTERP))
        return TL_ELF_STATIC;
    find_tsan_needed(f, segs, n, info);
    return TL_ELF_DYNAMIC;
}

int elf_inspect_file(const char *path, struct tl__elf_info *info)
{
    memset(info, 0, sizeof *info);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    struct elf_file f = {.fd = fd, .size = (uint64_t)st.st_size};
    info->kind = classify(&f, info);
    close(fd);
    return 0;
}

static const char *machine_name(uint16_t machine)
{
    switch (machine) {
    case EM_X86_64:
        return "x86-64";
    case EM_386:
        return "i386";
    case EM_AARCH64:
        return "AArch64";
    case EM_ARM:
        return "ARM";
    case EM_RISCV:
        return "RISC-V";
    case EM_PPC64:
        return "PowerPC64";
    case EM_PPC:
        return "PowerPC";
    case EM_S390:
        return "s390";
    case EM_MIPS:
        return "MIPS";
    case EM_LOONGARCH:
        return "LoongArch";
    default:
        return NULL;
    }
}

const char *elf_describe_machine(const struct tl__elf_info *info, char *buf, unsigned long len)
{
    const char *bits = info->elf_class == ELFCLASS64 ? "64-bit" : "32-bit";
    const char *name = machine_name(info->machine);
    if (name)
        snprintf(buf, len, "%s %s", bits, name);
    else
        snprintf(buf, len, "%s machine %u", bits, (unsigned)info->machine);
    return buf;
}
