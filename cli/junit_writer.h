/* `--junit FILE`: the findings of a merged report as JUnit XML, in the shape ctest
 * --output-junit and most CI servers read: <testsuites><testsuite> with tests, failures, errors
 * and time, one <testcase> per process, named by its command line. A process whose findings fail
 * the run (--fail-on) has one <failure>: its message is the first failing finding (start routine
 * and where it happened), its text every finding of the process and then its full text report.
 * Findings that do not fail the run are listed in <system-out>. Deterministic: the same model
 * gives the same bytes (no timestamp, no host name, time="0"). */
#ifndef THREADLEAK_CLI_JUNIT_WRITER_H
#define THREADLEAK_CLI_JUNIT_WRITER_H

#include "ci_findings.h"

#include <stdio.h>

/* Writes the document to out. Returns 0, or -1 when writing failed. */
int junit_write(const struct tl__ci_model *model, FILE *out);

#endif
