/* Small text pieces every profile renderer shares, so that the text dump, the HTML page and the
 * JSON say the same thing the same way. */
#ifndef THREADLEAK_PROFILE_FORMAT_H
#define THREADLEAK_PROFILE_FORMAT_H

#include "profile_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROFILE_TEXT_MAX 192

/* "350 ms", "1 second", "42 seconds", "5 minutes", "3 hours", "2 days". */
void profile_format_duration(uint64_t ns, char *buf, size_t len);

/* What a thread is doing, as Go puts it in brackets: the wait for a waiting thread ("futex wait
 * (condition)"), else "running", "stopped", "exiting" or "exited, not joined". */
void profile_state_text(const struct thread_profile_thread *t, char *buf, size_t len);

/* The state and, when known, how long: "futex wait (condition), 5 seconds", "running",
 * "nanosleep, at least 2 seconds". */
void profile_state_with_duration(const struct thread_profile_thread *t, char *buf, size_t len);

/* Why a thread has no current stack: "exited", "signals blocked", "not signalled", ... */
const char *profile_missing_stack_reason(const struct thread_profile_thread *t);

/* Writes s between double quotes, one line whatever it holds: \" \\ and \xNN for control bytes
 * and DEL. Thread names come from the program and may hold anything. */
void profile_write_quoted(FILE *out, const char *s);
/* The same text into buf, NUL-terminated; false (buf then holds "") when it does not fit. A name
 * of TL_NAME_MAX bytes always fits in PROFILE_QUOTED_NAME_MAX. */
#define PROFILE_QUOTED_NAME_MAX (4 * 16 + 3)
bool profile_quote(const char *s, char *buf, size_t len);

/* The creator for people: `thread 12 "name"`, `main thread`, or "" when unknown. */
void profile_creator_text(const struct thread_profile_thread *t, char *buf, size_t len);

#endif
