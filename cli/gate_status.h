/* The exit status of `threadleak run` (and of `threadleak merge`), from what PROG did, what
 * leaked, what ThreadSanitizer and the lock module found, and `--fail-on` (which categories of
 * findings fail the run). Pure functions. */
#ifndef THREADLEAK_CLI_GATE_STATUS_H
#define THREADLEAK_CLI_GATE_STATUS_H

#include "cli_run.h"

#include <stdbool.h>
#include <stddef.h>

enum tl__fail_on {
    TL_FAIL_ON_LEAKS = 1u << 0, /* leaked threads */
    TL_FAIL_ON_RACES = 1u << 1, /* any ThreadSanitizer finding, whatever its kind */
    /* The lock module's findings (libthreadleak-locks.so, `run --locks`); bit 2 is left for the
     * sanitizers' memory findings. */
    TL_FAIL_ON_DEADLOCKS = 1u << 3,  /* a live deadlock: a non-empty `deadlocks` array */
    TL_FAIL_ON_LOCK_ORDER = 1u << 4, /* a lock-order inversion: `lock_order` */
    TL_FAIL_ON_MISUSE = 1u << 5,     /* pthread misuse: `misuse` */
};
#define TL_FAIL_ON_LOCKS (TL_FAIL_ON_DEADLOCKS | TL_FAIL_ON_LOCK_ORDER | TL_FAIL_ON_MISUSE)
/* Every category: a report only carries lock findings when the lock module was loaded, so failing
 * on them by default costs the plain shim nothing and catches a module preloaded by hand. */
#define TL_FAIL_ON_DEFAULT (TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES | TL_FAIL_ON_LOCKS)

/* A live deadlock in a failing category: its own status, apart from --exitcode's findings. */
#define TL_STATUS_DEADLOCK 68

/* Parses --fail-on: "none", "all", or a comma-separated list of "leaks", "races", "deadlocks",
 * "lock-order" and "misuse" without repeats, in any order. Returns 0 with *out set, or -1. */
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
    /* The lock module's findings, over every readable report (0 without the module). */
    unsigned long deadlocks;  /* items of `deadlocks` arrays */
    unsigned long lock_order; /* items of `lock_order` arrays: inversion cycles */
    unsigned long misuse;     /* items of `misuse` arrays */
    bool prog_deadlocked;     /* PROG's own process reported a deadlock */
};

/* PROG's own status when it is non-zero: 128+N for signal N, or its exit code, unless that code
 * is TSan's exitcode and PROG's process reported TSan findings (TSan replaced PROG's status), or
 * PROG's own process reported a deadlock and deadlocks fail the run (whatever PROG then did, the
 * abort of deadlock=abort included, followed from the deadlock).
 * Otherwise 125 when the reports were lost, else TL_STATUS_DEADLOCK (68) when any process
 * deadlocked and deadlocks fail the run (whatever --exitcode says), else o->exitcode when another
 * failing category has findings (and o->exitcode is not 0), else TL_STATUS_UNDELIVERED (67) when a
 * process delivered no report: the gate fails closed, whatever --fail-on and --exitcode say,
 * because what it did not see may have leaked. Else 0. */
int gate_final_status(const struct tl__gate_outcome *o);

#endif
