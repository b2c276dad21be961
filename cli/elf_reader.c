/* See elf_reader.h. libelf reads the file lazily with pread (ELF_C_READ, not a mapping), so a
 * file that shrinks while we look gives errors, not SIGBUS. The byte order is checked here, before
 * libelf, which would convert the other order without a word. */
#include "elf_reader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
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

/* The shared runtimes of gcc's and clang's -shared-libsan sanitizers. */
static const char *const sanitizer_prefixes[] = {"libasan.so.", "libtsan.so.", "libubsan.so.",
                                                 "libhwasan.so.", "liblsan.so."};

/* An open file and libelf's handle on it (NULL until elf_file_begin). */
struct elf_file {
    int fd;
    uint64_t size;
    Elf *elf;
};

static int elf_file_open(const char *path, struct elf_file *f)
{
    *f = (struct elf_file){.fd = open(path, O_RDONLY | O_CLOEXEC)};
    if (f->fd < 0)
        return -1;
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        int saved = errno;
        close(f->fd);
        errno = saved;
        return -1;
    }
    f->size = (uint64_t)st.st_size;
    return 0;
}

static bool elf_file_begin(struct elf_file *f)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return false;
    f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
    return f->elf != NULL && elf_kind(f->elf) == ELF_K_ELF;
}

static void elf_file_close(struct elf_file *f)
{
    int saved = errno;
    elf_end(f->elf);
    close(f->fd);
    errno = saved;
}

/* The identification bytes: magic, class and byte order. */
static enum tl__elf_kind read_ident(const struct elf_file *f, struct tl__elf_info *info)
{
    unsigned char ident[EI_NIDENT];
    ssize_t n;
    do {
        n = pread(f->fd, ident, sizeof ident, 0);
    } while (n < 0 && errno == EINTR);
    if (n < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0)
        return TL_ELF_NOT_ELF;
    if (n < EI_NIDENT || (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64))
        return TL_ELF_MALFORMED;
    info->elf_class = ident[EI_CLASS];
    if (ident[EI_DATA] != NATIVE_DATA)
        return TL_ELF_FOREIGN;
    return TL_ELF_DYNAMIC; /* provisional: the headers decide */
}

/* The file header; *phnum is the number of program headers, checked for size and count. */
static enum tl__elf_kind read_header(const struct elf_file *f, struct tl__elf_info *info,
                                     size_t *phnum)
{
    GElf_Ehdr h;
    if (gelf_getehdr(f->elf, &h) == NULL)
        return TL_ELF_MALFORMED;
    info->machine = h.e_machine;
    if (h.e_type != ET_EXEC && h.e_type != ET_DYN)
        return TL_ELF_NOT_EXECUTABLE;
    *phnum = h.e_phnum;
    if (h.e_phnum == 0)
        return TL_ELF_DYNAMIC;
    /* PN_XNUM (the count lives in a section header) never occurs in executables. */
    if (h.e_phentsize != gelf_fsize(f->elf, ELF_T_PHDR, 1, EV_CURRENT) || h.e_phnum > MAX_SEGMENTS)
        return TL_ELF_MALFORMED;
    /* libelf reads the whole table on the first call: it must lie inside the file. */
    GElf_Phdr first;
    if (gelf_getphdr(f->elf, 0, &first) == NULL)
        return TL_ELF_MALFORMED;
    return TL_ELF_DYNAMIC;
}

static bool find_segment(const struct elf_file *f, size_t phnum, uint32_t type, GElf_Phdr *out)
{
    for (size_t i = 0; i < phnum; i++) {
        if (gelf_getphdr(f->elf, (int)i, out) && out->p_type == type)
            return true;
    }
    return false;
}

/* The file offset of virtual address addr, through the PT_LOAD that maps it from the file. */
static bool vaddr_to_offset(const struct elf_file *f, size_t phnum, uint64_t addr, uint64_t *off)
{
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr s;
        if (gelf_getphdr(f->elf, (int)i, &s) && s.p_type == PT_LOAD && addr >= s.p_vaddr &&
            addr - s.p_vaddr < s.p_filesz) {
            *off = s.p_offset + (addr - s.p_vaddr);
            return true;
        }
    }
    return false;
}

/* The dynamic string table as far as it lies in the file, and its length there. */
static const char *load_strtab(const struct elf_file *f, uint64_t offset, uint64_t strsz,
                               size_t *len)
{
    if (offset >= f->size)
        return NULL;
    *len = strsz < f->size - offset ? (size_t)strsz : (size_t)(f->size - offset);
    Elf_Data *data = elf_getdata_rawchunk(f->elf, (int64_t)offset, *len, ELF_T_BYTE);
    return data ? data->d_buf : NULL;
}

/* Whether the string at name in the table starts with prefix and ends (at a NUL or at the table's
 * end) within TL_ELF_LIBNAME_MAX bytes; copies it into out when it does. */
static bool needed_is(const char *strtab, size_t len, uint64_t name, const char *prefix,
                      char out[TL_ELF_LIBNAME_MAX])
{
    if (name >= len)
        return false;
    size_t n =
        strnlen(strtab + name, len - name < TL_ELF_LIBNAME_MAX ? len - name : TL_ELF_LIBNAME_MAX);
    if (n >= TL_ELF_LIBNAME_MAX || n < strlen(prefix) ||
        strncmp(strtab + name, prefix, strlen(prefix)) != 0)
        return false;
    memcpy(out, strtab + name, n);
    out[n] = '\0';
    return true;
}

/* Appends the sanitizer runtime at name, if it is one, to info->sanitizers_needed (dropped, not
 * truncated, when the room is full: a real program needs two at most). */
static void note_sanitizer(const char *strtab, size_t len, uint64_t name, struct tl__elf_info *info)
{
    char lib[TL_ELF_LIBNAME_MAX];
    for (size_t i = 0; i < sizeof sanitizer_prefixes / sizeof sanitizer_prefixes[0]; i++) {
        if (!needed_is(strtab, len, name, sanitizer_prefixes[i], lib))
            continue;
        size_t used = strlen(info->sanitizers_needed);
        if (used + 1 + strlen(lib) < sizeof info->sanitizers_needed)
            snprintf(info->sanitizers_needed + used, sizeof info->sanitizers_needed - used, "%s%s",
                     used ? ":" : "", lib);
        return;
    }
}

/* The entries of PT_DYNAMIC, at most MAX_DYN_ENTRIES, as far as they lie in the file: a segment
 * that claims to run past the end still has its first entries read (the loader reads up to
 * DT_NULL and never looks at p_filesz). */
static Elf_Data *load_dynamic(const struct elf_file *f, const GElf_Phdr *dyn)
{
    if (dyn->p_offset >= f->size)
        return NULL;
    uint64_t len = f->size - dyn->p_offset;
    uint64_t most = (uint64_t)MAX_DYN_ENTRIES * gelf_fsize(f->elf, ELF_T_DYN, 1, EV_CURRENT);
    if (len > dyn->p_filesz)
        len = dyn->p_filesz;
    if (len > most)
        len = most;
    return elf_getdata_rawchunk(f->elf, (int64_t)dyn->p_offset, (size_t)len, ELF_T_DYN);
}

/* Looks for DT_NEEDED libtsan.so.N and every sanitizer runtime through PT_DYNAMIC. A malformed
 * dynamic section only means "not found": the loader will have its own say about such a file. */
static void find_tsan_needed(const struct elf_file *f, size_t phnum, struct tl__elf_info *info)
{
    GElf_Phdr dyn;
    if (!find_segment(f, phnum, PT_DYNAMIC, &dyn))
        return;
    Elf_Data *entries = load_dynamic(f, &dyn);
    if (entries == NULL)
        return;
    uint64_t strtab_addr = 0, strsz = 0, needed[MAX_DYN_ENTRIES];
    size_t nneeded = 0;
    GElf_Dyn e;
    for (int i = 0; i < MAX_DYN_ENTRIES && gelf_getdyn(entries, i, &e) && e.d_tag != DT_NULL; i++) {
        if (e.d_tag == DT_STRTAB)
            strtab_addr = e.d_un.d_ptr;
        else if (e.d_tag == DT_STRSZ)
            strsz = e.d_un.d_val;
        else if (e.d_tag == DT_NEEDED)
            needed[nneeded++] = e.d_un.d_val;
    }
    uint64_t offset;
    size_t len;
    const char *strtab;
    if (nneeded == 0 || !vaddr_to_offset(f, phnum, strtab_addr, &offset) ||
        (strtab = load_strtab(f, offset, strsz, &len)) == NULL)
        return;
    for (size_t i = 0; i < nneeded; i++) {
        if (!info->tsan_needed[0])
            needed_is(strtab, len, needed[i], TSAN_PREFIX, info->tsan_needed);
        note_sanitizer(strtab, len, needed[i], info);
    }
}

static enum tl__elf_kind classify(struct elf_file *f, struct tl__elf_info *info)
{
    enum tl__elf_kind kind = read_ident(f, info);
    if (kind != TL_ELF_DYNAMIC)
        return kind;
    if (!elf_file_begin(f))
        return TL_ELF_MALFORMED;
    size_t phnum = 0;
    kind = read_header(f, info, &phnum);
    if (kind != TL_ELF_DYNAMIC)
        return kind;
    GElf_Phdr interp;
    if (!find_segment(f, phnum, PT_INTERP, &interp))
        return TL_ELF_STATIC;
    find_tsan_needed(f, phnum, info);
    return TL_ELF_DYNAMIC;
}

int elf_inspect_file(const char *path, struct tl__elf_info *info)
{
    memset(info, 0, sizeof *info);
    struct elf_file f;
    if (elf_file_open(path, &f) != 0)
        return -1;
    info->kind = classify(&f, info);
    elf_file_close(&f);
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

/* ---- .dynsym ---- */

static Elf_Scn *find_dynsym(const struct elf_file *f, GElf_Shdr *shdr)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
        if (gelf_getshdr(scn, shdr) && shdr->sh_type == SHT_DYNSYM)
            return scn;
    }
    return NULL;
}

/* Symbol 0 is the reserved null symbol. elf_strptr answers NULL for an offset outside the
 * linked string table, or when the link is no string table. */
static int search_symbols(const struct elf_file *f, Elf_Scn *scn, const GElf_Shdr *shdr,
                          const char *name)
{
    if (shdr->sh_entsize != gelf_fsize(f->elf, ELF_T_SYM, 1, EV_CURRENT))
        return TL_DYNSYM_ABSENT;
    Elf_Data *syms = elf_getdata(scn, NULL);
    if (syms == NULL) {
        errno = EINVAL;
        return -1;
    }
    size_t count = shdr->sh_size / shdr->sh_entsize;
    for (size_t i = 1; i < count; i++) {
        GElf_Sym sym;
        if (gelf_getsym(syms, (int)i, &sym) == NULL)
            break;
        const char *s = elf_strptr(f->elf, shdr->sh_link, sym.st_name);
        if (s && strcmp(s, name) == 0)
            return sym.st_shndx == SHN_UNDEF ? TL_DYNSYM_UNDEFINED : TL_DYNSYM_DEFINED;
    }
    return TL_DYNSYM_ABSENT;
}

int elf_dynsym_lookup(const char *path, const char *name)
{
    struct elf_file f;
    if (elf_file_open(path, &f) != 0)
        return -1;
    int result = TL_DYNSYM_ABSENT;
    GElf_Shdr shdr;
    Elf_Scn *scn = elf_file_begin(&f) ? find_dynsym(&f, &shdr) : NULL;
    if (scn)
        result = search_symbols(&f, scn, &shdr, name);
    elf_file_close(&f);
    return result;
}
