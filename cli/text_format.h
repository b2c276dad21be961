/* printf into a new string, for the CLI's messages and names (ci_findings.c, baseline_file.c). */
#ifndef THREADLEAK_CLI_TEXT_FORMAT_H
#define THREADLEAK_CLI_TEXT_FORMAT_H

/* malloc'd; NULL when memory runs out. */
__attribute__((format(printf, 1, 2))) char *text_format(const char *fmt, ...);

#endif
