/* `--source-root DIR`: where the project's sources are, for the CI formats' locations
 * (ci_findings.c) and the baseline's keys (baseline_findings.c), so that both call a file in the
 * project by the same name. */
#ifndef THREADLEAK_CLI_SOURCE_ROOT_H
#define THREADLEAK_CLI_SOURCE_ROOT_H

#include <limits.h>
#include <stddef.h>

/* root (NULL: the working directory) made absolute, without a trailing slash ("" for /), into
 * out. 0, or -1 with "--source-root ROOT: why" in err. */
int source_root_resolve(const char *root, char out[PATH_MAX], char *err, size_t errlen);

/* file relative to root when it is in it, else NULL. An absolute path is in it when it starts
 * with root; a relative one (debug info relative to the compilation directory) when it names a
 * file under root, which keeps out libc's "./nptl/pthread_create.c". */
const char *source_root_relative(const char *root, const char *file);

/* The file as a reader knows it: relative to root, else its base name (a build directory or a
 * machine of its own must not change it). */
const char *source_root_display(const char *root, const char *file);

#endif
