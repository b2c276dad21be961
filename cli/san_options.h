/* A sanitizer's options variable (TSAN_OPTIONS, ASAN_OPTIONS, LSAN_OPTIONS) composed for the run:
 * the user's value passed on untouched, then log_path into the report directory. The user's value
 * is scanned with the sanitizers' own tokenising rules only to learn whether it sets log_path
 * (which is overridden) and exitcode (so that the CLI can tell the sanitizer's status from the
 * program's own).
 *
 * The syntax, as the sanitizers' flag parser reads it: `name=value` pairs separated by spaces,
 * ',', ':', tabs or newlines; a value may be quoted with ' or " (then it may hold separators); a
 * later pair overrides an earlier one. */
#ifndef THREADLEAK_CLI_SAN_OPTIONS_H
#define THREADLEAK_CLI_SAN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

struct tl__san_options {
    char *options;      /* malloc'd: the user's options, then log_path='REPORT_DIR/LOG_NAME' */
    bool user_log_path; /* the user's value set log_path, which is overridden */
    bool user_exitcode; /* the user's value set exitcode */
    int exitcode;       /* the user's last exitcode (low 8 bits), else the default given */
};

/* Composes the variable var (named in messages) from the user's value (NULL or "" for none).
 * Returns 0, or -1 with a message in err when report_dir holds both quote characters (the
 * sanitizer could not read it back) or memory runs out. */
int san_options_compose(const char *var, const char *user_options, const char *report_dir,
                        const char *log_name, int default_exitcode, struct tl__san_options *out,
                        char *err, size_t errlen);

void san_options_free(struct tl__san_options *o);

#endif
