/* A thread profile as JSON: /debug/threads?format=json. The schema ("threadleak-threads", schema
 * 1) is documented in docs/threads-json-schema.md. Not async-signal-safe (stdio). */
#ifndef THREADLEAK_PROFILE_JSON_H
#define THREADLEAK_PROFILE_JSON_H

#include "profile_model.h"

#include <stdio.h>

#define PROFILE_JSON_SCHEMA 1

/* Returns 0, or -1 when writing failed. */
int profile_write_json(FILE *out, const struct thread_profile *p);

#endif
