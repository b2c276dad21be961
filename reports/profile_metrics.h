/* A thread profile as Prometheus text exposition (version 0.0.4): /metrics.
 *
 *     threadleak_threads{state="waiting"} 5
 *     threadleak_threads_created_total 1234
 *     threadleak_threads_exited_unjoined 0
 *     threadleak_process_threads 9
 *     threadleak_threads_by_start_routine{start_routine="worker"} 4
 *
 * Every family has # HELP and # TYPE lines. Not async-signal-safe (stdio). */
#ifndef THREADLEAK_PROFILE_METRICS_H
#define THREADLEAK_PROFILE_METRICS_H

#include "profile_model.h"

#include <stdio.h>

#define PROFILE_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Returns 0, or -1 when memory ran out or writing failed. */
int profile_write_metrics(FILE *out, const struct thread_profile *p);

/* A label value escaped as the exposition format wants: \\, \" and \n. */
void profile_metrics_write_label_value(FILE *out, const char *value);

#endif
