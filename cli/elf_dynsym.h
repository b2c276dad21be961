/* Looking a name up in an ELF file's dynamic symbol table (.dynsym), with <elf.h> and pread only.
 * The CLI uses it to recognise clang -fsanitize=thread programs: clang links the TSan runtime
 * statically and exports its entry points, so `__tsan_init` is a defined dynamic symbol there,
 * while a gcc build only references it (and names libtsan.so.N in DT_NEEDED).
 *
 * Every offset and size is checked against the file, so a truncated or hostile file gives
 * TL_DYNSYM_ABSENT or an error, never a crash. Only native-endian files are read. */
#ifndef THREADLEAK_CLI_ELF_DYNSYM_H
#define THREADLEAK_CLI_ELF_DYNSYM_H

enum tl__dynsym_lookup {
    TL_DYNSYM_ABSENT,    /* no such dynamic symbol, or no readable .dynsym */
    TL_DYNSYM_UNDEFINED, /* referenced, to be resolved from another object */
    TL_DYNSYM_DEFINED,   /* defined in this file */
};

/* Looks name up in the .dynsym section of the ELF file at path (found through the section
 * headers; a file stripped of them answers TL_DYNSYM_ABSENT). Returns the result, or -1 with errno
 * set when the file cannot be opened, read or the tables do not fit in memory. */
int elf_dynsym_lookup(const char *path, const char *name);

#endif
