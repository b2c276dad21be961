/* The CI formats of `run` and `merge`: `--junit FILE` and `--sarif FILE`, both written from the
 * merged report (ci_findings.h), after the merged JSON. */
#ifndef THREADLEAK_CLI_CI_REPORTS_H
#define THREADLEAK_CLI_CI_REPORTS_H

#include "report_merge.h"

struct tl__ci_outputs {
    const char *junit_path;  /* --junit FILE ("-" = stdout); NULL when not given */
    const char *sarif_path;  /* --sarif FILE ("-" = stdout); NULL when not given */
    const char *source_root; /* --source-root DIR; NULL: the working directory */
    unsigned fail_on;        /* --fail-on: which findings are failures (enum tl__fail_on) */
};

/* Writes the files asked for from m (its JSON and its per-process texts). Returns 0 (also when
 * none is asked for), or -1 after one line on stderr that names the option and the file. */
int ci_reports_write(const struct tl__ci_outputs *o, const struct tl__merge_result *m);

#endif
