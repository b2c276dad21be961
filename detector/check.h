/* One check: the verdict, findings for its leaks, and what the running leaks are doing now. The
 * exit report and the test API's checks both run it, so a rule that takes threads out of one takes
 * them out of the other (goleak's one Find, where every ignore option is a filter).
 *
 * A request starts from the configuration (check_request_init): mode and linger, the live-dump
 * options, and the filters every check has, in the order they are asked:
 *   1. default suppressions: runtimes' own threads (default_suppressions.h), unless
 *      default_suppressions=0; counted apart from the others;
 *   2. the suppressions= file of THREADLEAK_OPTIONS, loaded once per check;
 * then the caller adds its own (the test API's ignore lists) with check_add_filter. Scope and
 * snapshot serials stay the verdict's cheap pre-filters: they cost nothing and do not count as
 * suppressed. */
#ifndef THREADLEAK_CHECK_H
#define THREADLEAK_CHECK_H

#include "default_suppressions.h"
#include "findings.h"
#include "live_stacks.h"
#include "options.h"
#include "verdict.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tl__suppressions;

struct tl__check_request {
    struct tl__verdict_request verdict; /* its filters are the ones below */
    struct tl__verdict_filter filters[TL_VERDICT_MAX_FILTERS];
    size_t nfilters;
    bool findings_when_clean;             /* findings even when nothing leaked (a report file) */
    bool live_state;                      /* running leaks get their wait state and current stack */
    struct live_stacks_options live;      /* from check_live_options; nosignal = no dump */
    struct tl__suppressions *file;        /* the suppressions= file, owned; NULL = none */
    int default_filter;                   /* the default suppressions' index in filters; -1 = off */
    const char *label;                    /* the findings' label (label=); NULL = none */
    struct tl__default_hits default_hits; /* their ctx: counts over every run, the run's mode */
};

struct tl__check_result {
    struct tl__findings *findings; /* NULL when clean (unless asked for) or out of memory */
    unsigned ignored_by[TL_VERDICT_MAX_FILTERS]; /* threads each filter took out, in order */
};

/* The live-dump options THREADLEAK_OPTIONS asks for (stacks, dump_signal, dump_timeout_ms): the
 * one place they are read, for checks, dumps on request and the endpoint alike. */
struct live_stacks_options check_live_options(const struct tl__config *cfg);

/* A request for cfg, run from calling_tid (never a leak), with the filters every check has
 * (check_request.c). A suppressions= file that cannot be loaded is reported on stderr and left
 * out. Release the request with check_request_fini. */
void check_request_init(struct tl__check_request *req, const struct tl__config *cfg,
                        pid_t calling_tid);

/* Appends a filter, asked after those already there. -1 when the list is full. */
int check_add_filter(struct tl__check_request *req, const char *name,
                     bool (*ignores)(const struct tl__thread_info *t, void *ctx), void *ctx);

/* Verdict, then findings (suppressed_by_default = the threads the default suppressions took out,
 * with each entry's count; suppressed = those every other filter took out), then live state. */
void check_run(const struct tl__check_request *req, struct tl__check_result *out);

void check_request_fini(struct tl__check_request *req);

#endif
