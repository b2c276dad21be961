/* ThreadSanitizer's side of the target's environment: recognising a TSan build, and composing
 * TSAN_OPTIONS so that every TSan-instrumented process of the run writes its reports into the
 * run's report directory (log_path), where the CLI collects them (tsan_gate.h).
 *
 * TSAN_OPTIONS syntax, as the sanitizers' flag parser reads it: `name=value` pairs separated by
 * spaces, ',', ':', tabs or newlines; a value may be quoted with ' or " (then it may hold
 * separators); a later pair overrides an earlier one. */
#ifndef THREADLEAK_CLI_TSAN_ENV_H
#define THREADLEAK_CLI_TSAN_ENV_H

#include "elf_reader.h"

#include <stdbool.h>
#include <stddef.h>

#define TL_TSAN_DEFAULT_EXITCODE 66
#define TL_TSAN_LOG_NAME         "tsan" /* TSan writes DIR/tsan.PID */

enum tl__tsan_build {
    TL_TSAN_BUILD_NONE,  /* not instrumented, or unknown */
    TL_TSAN_BUILD_GCC,   /* DT_NEEDED libtsan.so.N */
    TL_TSAN_BUILD_CLANG, /* the runtime linked in: __tsan_init defined in .dynsym */
};

/* Whether the ELF file at path (inspected as *info) is built with -fsanitize=thread, and how. A
 * file that cannot be read counts as not instrumented. */
enum tl__tsan_build tsan_build_of(const char *path, const struct tl__elf_info *info);

/* The TSAN_OPTIONS the target gets, and what the user's own value said. */
struct tl__tsan_env {
    char *options;      /* malloc'd: the user's options, then log_path='REPORT_DIR/tsan' */
    bool user_log_path; /* the user's value set log_path, which is overridden */
    int exitcode;       /* TSan's exit status on findings as the user's value leaves it (66) */
};

/* Composes TSAN_OPTIONS from the user's value (NULL or "" for none) and the report directory.
 * The user's keys all stay in effect except log_path. Returns 0, or -1 with a message in err when
 * report_dir holds both quote characters (TSan could not read it back) or memory runs out. */
int tsan_env_compose(const char *user_options, const char *report_dir, struct tl__tsan_env *out,
                     char *err, size_t errlen);

void tsan_env_free(struct tl__tsan_env *env);

#endif
