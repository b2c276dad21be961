/* A thread profile as one self-contained HTML page, in the spirit of Go's /debug/pprof/: totals
 * by state, a table of every thread (tid, name, state and how long, wait, start routine, creator,
 * top frames) and links to every other format. No scripts, no external resources; every string
 * from the program is escaped. Not async-signal-safe (stdio). */
#ifndef THREADLEAK_PROFILE_HTML_H
#define THREADLEAK_PROFILE_HTML_H

#include "profile_model.h"

#include <stdio.h>

#define PROFILE_HTML_TOP_FRAMES 6 /* enough to get past libc's wait functions */

/* Returns 0, or -1 when writing failed. */
int profile_write_html(FILE *out, const struct thread_profile *p);

/* s with & < > " ' escaped as character references. */
void profile_html_escape(FILE *out, const char *s);

#endif
