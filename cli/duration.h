/* Durations on the command line: "30s", "2m", "500ms", "1h", "1.5s", or plain seconds ("30"). */
#ifndef THREADLEAK_CLI_DURATION_H
#define THREADLEAK_CLI_DURATION_H

#include <stdbool.h>

#define TL_DURATION_MAX_S 86400.0 /* a day: beyond it a value is surely a typo */

/* Parses text into seconds (> 0, at most TL_DURATION_MAX_S). False when it is not a duration. */
bool duration_parse(const char *text, double *seconds);

#endif
