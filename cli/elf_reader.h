/* What the CLI needs to know about an executable before it preloads the shim into it: is it an
 * ELF file at all, for which machine, is it dynamically linked (only then does the loader honour
 * LD_PRELOAD), does it need gcc's libtsan.so.N (which then has to be preloaded first), and does
 * it define a dynamic symbol (clang's TSan programs define `__tsan_init`).
 *
 * Read through elfutils' libelf: its gelf_* calls give one code path for 32- and 64-bit files,
 * and it checks every table against the file, so truncated or hostile files give
 * TL_ELF_MALFORMED or "absent", never a crash. */
#ifndef THREADLEAK_CLI_ELF_READER_H
#define THREADLEAK_CLI_ELF_READER_H

#include <stdint.h>

#define TL_ELF_LIBNAME_MAX 64
/* Room for every sanitizer runtime a program can need at once (asan and ubsan, say). */
#define TL_ELF_SANITIZERS_MAX (4 * TL_ELF_LIBNAME_MAX)

enum tl__elf_kind {
    TL_ELF_NOT_ELF,        /* no ELF magic */
    TL_ELF_MALFORMED,      /* ELF magic, but headers that point outside the file or make no sense */
    TL_ELF_FOREIGN,        /* the other byte order: surely not for this machine */
    TL_ELF_NOT_EXECUTABLE, /* a relocatable object or a core file */
    TL_ELF_STATIC,         /* no PT_INTERP: static, or static-pie, or a plain shared library */
    TL_ELF_DYNAMIC,        /* has PT_INTERP: the dynamic loader runs and honours LD_PRELOAD */
};

struct tl__elf_info {
    enum tl__elf_kind kind;
    unsigned char elf_class; /* ELFCLASS32 or ELFCLASS64; 0 when not ELF */
    uint16_t machine;        /* e_machine, EM_* */
    /* The DT_NEEDED entry "libtsan.so.N" of a gcc -fsanitize=thread program; "" when none. */
    char tsan_needed[TL_ELF_LIBNAME_MAX];
    /* Every DT_NEEDED sanitizer runtime (libasan.so.N, libtsan.so.N, libubsan.so.N,
     * libhwasan.so.N, liblsan.so.N), ':'-separated in DT_NEEDED order; "" when none. ASan and
     * HWASan refuse to start unless they come first in the initial library list, so these are
     * what the CLI preloads before the shim. */
    char sanitizers_needed[TL_ELF_SANITIZERS_MAX];
};

/* Inspects the file at path through its ELF and program headers (section headers play no part:
 * the loader ignores them too). Returns 0 with *info filled in (kind says what was found), or -1
 * with errno set when the file cannot be opened. */
int elf_inspect_file(const char *path, struct tl__elf_info *info);

/* "64-bit x86-64" and the like, for messages. Never NULL. */
const char *elf_describe_machine(const struct tl__elf_info *info, char *buf, unsigned long len);

enum tl__dynsym_lookup {
    TL_DYNSYM_ABSENT,    /* no such dynamic symbol, or no readable .dynsym */
    TL_DYNSYM_UNDEFINED, /* referenced, to be resolved from another object */
    TL_DYNSYM_DEFINED,   /* defined in this file */
};

/* Looks name up in the .dynsym section of the ELF file at path (found through the section
 * headers; a file stripped of them answers TL_DYNSYM_ABSENT). Returns the result, or -1 with errno
 * set when the file cannot be opened or its .dynsym cannot be read. */
int elf_dynsym_lookup(const char *path, const char *name);

#endif
