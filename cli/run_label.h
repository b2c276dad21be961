/* `run --label NAME`: a name for every report of one run (a CI shard, a pipeline step). The run
 * writes it into its report directory as threadleak.label, so that a directory kept with
 * --keep-reports carries it to `threadleak merge`; the merge adds it to each process of that
 * directory as processes[].label, and the CI formats name test cases with it. */
#ifndef THREADLEAK_CLI_RUN_LABEL_H
#define THREADLEAK_CLI_RUN_LABEL_H

#include "options.h" /* TL_LABEL_MAX: the shim's label= takes as many bytes */

#include <stdbool.h>
#include <stddef.h>

#define TL_LABEL_FILE "threadleak.label"

/* Whether text can be a label: 1..TL_LABEL_MAX bytes of UTF-8 without control characters. */
bool run_label_valid(const char *text);

/* Writes label into dir/threadleak.label. 0, or -1 with a message in err. */
int run_label_write(const char *dir, const char *label, char *err, size_t errlen);

/* The label of the directory open as dirfd, malloc'd; NULL when it has none (or a file that is
 * no valid label). */
char *run_label_read_at(int dirfd);

#endif
