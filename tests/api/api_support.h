/* Helpers for the test-API suite: threads that park until released, and checks captured as text.
 * Every test that leaks on purpose releases and joins its threads before it returns, so the exit
 * report (which also runs in these binaries) stays clean. */
#ifndef THREADLEAK_TESTS_API_SUPPORT_H
#define THREADLEAK_TESTS_API_SUPPORT_H

#include "threadleak.h"

#include <pthread.h>
#include <stdbool.h>

/* A one-shot barrier that threads wait on until the test opens it. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t opened;
    bool open;
};

#define GATE_INIT                                                                                  \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false                                 \
    }

void gate_wait(struct gate *g);
void gate_open(struct gate *g);
void gate_close(struct gate *g);

/* tl_verify_none with base's options (NULL = defaults), its report captured: returns the report
 * text (malloc'd, "" when clean) and stores the result in *leaked. */
char *verify_to_text(const tl_options *base, int *leaked);

/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);

/* Sleeps ms milliseconds. */
void sleep_ms(unsigned ms);

/* Does text contain "FILE:LINE"? */
bool mentions_site(const char *text, const char *file, int line);

#endif
