/* `--sarif FILE`: the findings of a merged report as SARIF 2.1.0, for code scanning (GitHub,
 * GitLab, Jenkins' warnings plugin). One run, tool.driver "threadleak" with its version and one
 * rule per kind of finding (ci_findings.h), always all of them in one order so that ruleIndex is
 * stable. Findings with the same fingerprint (the same leak in several processes, or two groups of
 * one call site) are one result with the processes' pids. Each result is located at the finding's
 * site, relative to SRCROOT (the source root) when the file is in it, with its stack as a code
 * flow, outermost frame first. Deterministic: the same model gives the same bytes. */
#ifndef THREADLEAK_CLI_SARIF_WRITER_H
#define THREADLEAK_CLI_SARIF_WRITER_H

#include "ci_findings.h"

#include <stdio.h>

/* Writes the document to out. Returns 0, or -1 when writing failed or memory ran out. */
int sarif_write(const struct tl__ci_model *model, FILE *out);

#endif
