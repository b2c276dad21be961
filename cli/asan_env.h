/* AddressSanitizer's and LeakSanitizer's side of the target's environment: recognising an ASan
 * (or standalone LSan) build, and composing ASAN_OPTIONS and LSAN_OPTIONS so that every such
 * process of the run writes its reports into the run's report directory, where the CLI collects
 * them (asan_gate.h).
 *
 * Both variables get the same log_path, DIR/asan: an ASan process reads its common flags from
 * ASAN_OPTIONS and then from LSAN_OPTIONS (the later wins), a standalone LSan process from
 * LSAN_OPTIONS only. So both kinds write DIR/asan.PID. The exit status after findings follows the
 * same rule: LSAN_OPTIONS's exitcode, else ASAN_OPTIONS's, else the runtime's default (ASan 1,
 * standalone LSan 23), measured with gcc 12 and clang 14. */
#ifndef THREADLEAK_CLI_ASAN_ENV_H
#define THREADLEAK_CLI_ASAN_ENV_H

#include "elf_reader.h"
#include "san_options.h"

#include <stdbool.h>
#include <stddef.h>

#define TL_ASAN_DEFAULT_EXITCODE 1
#define TL_LSAN_DEFAULT_EXITCODE 23
#define TL_ASAN_LOG_NAME         "asan" /* ASan and LSan write DIR/asan.PID */

enum tl__asan_build {
    TL_ASAN_BUILD_NONE, /* not instrumented, or unknown */
    TL_ASAN_BUILD_ASAN, /* DT_NEEDED libasan.so.N, or __asan_init defined in .dynsym (clang) */
    TL_ASAN_BUILD_LSAN, /* standalone LeakSanitizer: liblsan.so.N, or __lsan_init defined */
};

/* Whether the ELF file at path (inspected as *info) is built with -fsanitize=address (or leak).
 * A file that cannot be read counts as not instrumented. */
enum tl__asan_build asan_build_of(const char *path, const struct tl__elf_info *info);

struct tl__asan_env {
    struct tl__san_options asan; /* ASAN_OPTIONS */
    struct tl__san_options lsan; /* LSAN_OPTIONS */
    int exitcode; /* the status PROG's runtime exits with after findings (build as given) */
};

/* Composes both variables from the user's values (NULL or "" for none). build is PROG's, and
 * only chooses the default exitcode. Returns 0, or -1 with a message in err (see
 * san_options_compose); *out is then freed. */
int asan_env_compose(const char *asan_user, const char *lsan_user, const char *report_dir,
                     enum tl__asan_build build, struct tl__asan_env *out, char *err, size_t errlen);

void asan_env_free(struct tl__asan_env *env);

#endif
