/* The exit status of `threadleak run`, from what PROG did, what leaked and what ThreadSanitizer
 * found, and `--fail-on` (which categories of findings fail the run). Pure functions. */
#ifndef THREADLEAK_CLI_GATE_STATUS_H
#define THREADLEAK_CLI_GATE_STATUS_H

#include "cli_run.h"

#include <stdbool.h>
#include <stddef.h>

enum tl__fail_on {
    TL_FAIL_ON_LEAKS = 1u << 0, /* leaked threads */
    TL_FAIL_ON_RACES = 1u << 1, /* any ThreadSanitizer finding, whatever its kind */
};
#define TL_FAIL_ON_DEFAULT (TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES)

/* Parses --fail-on: "none", or a comma-separated list of "leaks" and "races" without repeats
 * ("leaks", "races", "leaks,races", "races,leaks"). Returns 0 with *out set, or -1. */
int gate_parse_fail_on(const char *text, unsigned *out);

struct tl__gate_outcome {
    int prog_wait_status;        /* PROG's wait status */
    int leaked;                  /* 1: threads leaked, 0: none, -1: reports lost */
    unsigned long tsan_findings; /* over every process */
    bool prog_tsan_reported;     /* PROG's own process reported TSan findings */
    int tsan_exitcode;           /* the status TSan exits with after findings (66) */
    unsigned fail_on;            /* enum tl__fail_on bits */
    int exitcode;                /* --exitcode */
    size_t undelivered;          /* processes that started under the shim and sent no report */
};

/* PROG's own status when it is non-zero: 128+N for signal N, or its exit code, unless that code
 * is TSan's exitcode and PROG's process reported TSan findings (TSan replaced PROG's status).
 * Otherwise 125 when the reports were lost, else o->exitcode when a failing category has findings
 * (and o->exitcode is not 0), else TL_STATUS_UNDELIVERED (67) when a process delivered no report:
 * the gate fails closed, whatever --fail-on and --exitcode say, because what it did not see may
 * have leaked. Else 0. */
int gate_final_status(const struct tl__gate_outcome *o);

#endif
