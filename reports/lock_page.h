/* The endpoint's /debug/locks page (docs/endpoint.md): text by default, JSON with ?format=json.
 * Renders the model the lock module builds (lock_page_model.h). Not async-signal-safe (stdio). */
#ifndef THREADLEAK_LOCK_PAGE_H
#define THREADLEAK_LOCK_PAGE_H

#include <stddef.h>
#include <stdio.h>

struct tl__lock_page; /* lock_page_model.h */

#define LOCK_PAGE_JSON_SCHEMA 1

/* Each returns 0, or -1 when writing failed. */
int lock_page_write_text(FILE *out, const struct tl__lock_page *page);
int lock_page_write_json(FILE *out, const struct tl__lock_page *page);

/* Threads whose locks the dump could not read (it did not interrupt them). */
size_t lock_page_threads_unknown(const struct tl__lock_page *page);

#endif
