/* The endpoint's and the dump listener's part of `threadleak run`'s environment. */
#include "run_endpoint.h"

#include "dump_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *run_endpoint_options(char *options, const char *http, char *err, size_t errlen)
{
    if (!http)
        return options;
    size_t len = strlen(options) + strlen(":http=") + strlen(http) + 1;
    char *more = malloc(len);
    if (!more) {
        snprintf(err, errlen, "out of memory");
        free(options);
        return NULL;
    }
    /* http's value keeps its one :PORT and [...] unquoted (docs/options.md) */
    snprintf(more, len, "%s:http=%s", options, http);
    free(options);
    return more;
}

int run_endpoint_setenv(void)
{
    return setenv(TL_DUMP_LISTENER_ENV, "1", 1);
}
