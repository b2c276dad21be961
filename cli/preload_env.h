/* The environment the target runs with: LD_PRELOAD that loads the shim (after the sanitizer
 * runtimes the program or the user asks for) and THREADLEAK_OPTIONS that sends every process's
 * report to the private report directory. Pure string functions, so that they are tested without
 * running anything. */
#ifndef THREADLEAK_CLI_PRELOAD_ENV_H
#define THREADLEAK_CLI_PRELOAD_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* LD_PRELOAD for the target, in this order:
 *   1. the user's own entries that are sanitizer runtimes (preload_is_sanitizer), in their order:
 *      ASan and HWASan abort unless they come first in the initial library list, and TSan's
 *      interceptors must wrap the shim's, not the other way round;
 *   2. runtimes, the ':'-separated sanitizer runtimes the program needs (DT_NEEDED, from
 *      elf_reader.h; NULL or "" for none), minus those already named in 1 (same file name);
 *   3. shim;
 *   4. the user's other entries in their order, minus exact repeats of the shim.
 * The loader splits on ' ' and ':', so a shim path containing either cannot be carried: that
 * returns NULL with a message in err. Returns a malloc'd string (NULL with err "out of memory"
 * when allocation fails). */
char *preload_compose(const char *shim, const char *runtimes, const char *user_preload, char *err,
                      size_t errlen);

/* Whether the LD_PRELOAD entry of len bytes at entry names a sanitizer runtime: its file name
 * (after the last '/') starts with libasan.so, libtsan.so, libubsan.so, libhwasan.so or
 * liblsan.so. */
bool preload_is_sanitizer(const char *entry, size_t len);

/* What the CLI asks of every process, appended after the user's THREADLEAK_OPTIONS so that it
 * wins (later keys override earlier ones). */
struct tl__options_request {
    const char *report_dir;   /* quoted in the result, so that ':' in the path is fine */
    bool color;               /* color=always, else color=never */
    long linger_ms;           /* < 0: not given on the command line */
    const char *mode;         /* NULL: not given */
    const char *suppressions; /* NULL: not given; quoted as report_dir is */
    const char *verbosity;    /* NULL: not given; a number the caller checked */
    const char *label;        /* --label; NULL: not given */
};

/* THREADLEAK_OPTIONS for the target: user_options (NULL or "" for none), then
 * report_dir=...:quiet=1:exitcode=0:color=...[:linger_ms=N][:mode=M][:suppressions=...]
 * [:verbosity=N][:label='L']. A label that holds both quote characters is left out (the run's
 * directory still carries it, run_label.h). Returns a malloc'd string, or NULL with a message in
 * err when the report directory or the suppressions file cannot be quoted (it contains both
 * quote characters) or memory runs out. */
char *options_compose(const char *user_options, const struct tl__options_request *req, char *err,
                      size_t errlen);

/* For `run --locks`: deadlock=abort:OPTIONS:locks=1. deadlock=abort goes first, a default that
 * the user's own deadlock= key (in options) overrides, as TSan's exitcode is left as the user set
 * it; locks=1 goes last, so that it wins. Returns a malloc'd string, or NULL with "out of memory"
 * in err. */
char *options_with_locks(const char *options, char *err, size_t errlen);

#endif
