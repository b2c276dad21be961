/* Growth per creation site (detector/growth_model.h) as the endpoint serves it:
 * /debug/threads/growth as text or JSON, and its families of /metrics.
 *
 * Not async-signal-safe (stdio). Each returns 0, or -1 when writing failed. */
#ifndef THREADLEAK_GROWTH_REPORT_H
#define THREADLEAK_GROWTH_REPORT_H

#include "growth_model.h"

#include <stdio.h>

/* A header line, then one block per group, growing first:
 *
 *     growing  worker, created at server.c:42 in handle_request: 57 live (57 created, 0 exited),
 *              +360/hour; first sample 2026-12-07 23:10:00 UTC: 1, last 2026-12-07 23:20:00 UTC: 57
 */
int growth_write_text(FILE *out, const struct growth_view *v);

/* {"sample_ms", "window_s", "max_samples", "samples_taken", "max_groups",
 *  "threads_unattributed", "groups": [{"start_routine", "created_at": {"function", "file",
 *  "line"}, "live", "created_total", "exited_total", "trend", "growth_per_hour",
 *  "samples": [[unix_ms, live], ...]}]}: docs/endpoint.md. */
int growth_write_json(FILE *out, const struct growth_view *v);

/* At most this many label sets per by-site family: a label set is a series Prometheus keeps. */
#define GROWTH_METRICS_MAX_SITES 100

/* threadleak_threads_by_site{start_routine, site} (gauge), threadleak_threads_created_by_site_total
 * (counter), threadleak_group_growing (0/1), site being "file:line" (the function without line
 * information), for the first GROWTH_METRICS_MAX_SITES sites, growing first, then the most live;
 * threadleak_growth_sites_omitted counts the others, and threadleak_growth_samples_total the
 * samples taken. */
int growth_write_metrics(FILE *out, const struct growth_view *v);

#endif
