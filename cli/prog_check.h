/* Refusing, before anything runs, the programs that LD_PRELOAD cannot reach, with one line that
 * names the file and says why. Silent failure is the alternative: the loader ignores LD_PRELOAD
 * for static and set-user-ID programs without a word, and the run would look clean. */
#ifndef THREADLEAK_CLI_PROG_CHECK_H
#define THREADLEAK_CLI_PROG_CHECK_H

#include "elf_reader.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define TL_STATUS_NOT_FOUND  127 /* no such program, or not executable */
#define TL_STATUS_CANNOT_RUN 126 /* found, but the shim could not reach it */

struct tl__prog {
    char path[PATH_MAX];        /* what will be executed: PROG resolved through PATH */
    char interpreter[PATH_MAX]; /* for a #! script, the ELF file that really runs; else "" */
    bool inspected;             /* false when the file could not be read (execute-only) */
    struct tl__elf_info elf;    /* of path, or of the interpreter for a script */
};

/* Resolves name like execvp and checks what will run: it must exist, be executable, be a dynamic
 * ELF file for the shim's machine (or a #! script whose interpreter is one), and not run with
 * other credentials (set-user-ID, set-group-ID, file capabilities). shim describes the shim's own
 * ELF file. Returns 0 with *prog filled in, or TL_STATUS_NOT_FOUND / TL_STATUS_CANNOT_RUN after
 * writing a one-line message into err. A file that cannot be read is not refused: a warning goes
 * into warn (else warn[0] is '\0') and prog->inspected is false. */
int prog_check(const char *name, const struct tl__elf_info *shim, struct tl__prog *prog, char *err,
               size_t errlen, char *warn, size_t warnlen);

#endif
