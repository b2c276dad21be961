/* What `threadleak run` adds to every process's environment for the endpoint and for dumps:
 * `http=ADDR` from --http, and THREADLEAK_DUMP_LISTENER=1 so that `threadleak dump PID` and
 * --timeout can ask any process of the run for a thread dump (docs/endpoint.md). */
#ifndef THREADLEAK_CLI_RUN_ENDPOINT_H
#define THREADLEAK_CLI_RUN_ENDPOINT_H

#include <stddef.h>

/* options (malloc'd, consumed) with ":http=ADDR" appended when http is not NULL; returns the new
 * malloc'd string, or NULL with a message in err when memory runs out. */
char *run_endpoint_options(char *options, const char *http, char *err, size_t errlen);

/* Sets THREADLEAK_DUMP_LISTENER=1 for what the CLI executes. 0, or -1 with errno. */
int run_endpoint_setenv(void);

#endif
