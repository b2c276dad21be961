/* ThreadSanitizer-syntax suppression files, as far as threads and locks are concerned.
 *
 * Lines are `type:pattern`; `#` starts a comment. `thread:` applies to leaked threads, `mutex:` and
 * `deadlock:` to the lock module's findings (pthread misuse, lock-order inversions); other types
 * (race, race_top, signal, called_from_lib) are accepted and kept for TSan. A pattern is matched as
 * TSan does: `*` is any run of characters, `^` anchors at the start, `$` at the end, otherwise it
 * may match anywhere. A thread is suppressed when the pattern matches its start routine, or any
 * function or file of its creation stack. */
#ifndef THREADLEAK_SUPPRESSIONS_H
#define THREADLEAK_SUPPRESSIONS_H

#include "symbolize.h"

#include <stdbool.h>
#include <stddef.h>

struct tl__suppressions;

/* NULL with a message in err when the file cannot be read or a line is malformed. */
struct tl__suppressions *suppressions_load(const char *path, char *err, size_t errlen);
struct tl__suppressions *suppressions_parse(const char *text, char *err, size_t errlen);
void suppressions_free(struct tl__suppressions *s);

/* TSan's pattern match, exposed for tests. */
bool suppression_pattern_matches(const char *pattern, const char *text);

/* Whether a `thread:` entry matches; counts the hit on that entry. */
bool suppressions_match_thread(struct tl__suppressions *s, const char *start_routine,
                               const struct tl__frame *stack, size_t nframes);

/* Whether an entry of type ("mutex", "deadlock"; TSan's names) matches a function, file or module
 * of one frame of stack; counts the hit on that entry. The lock findings use it
 * (lock_findings_suppress): `mutex:` for pthread misuse, `deadlock:` for lock-order inversions,
 * the report types ThreadSanitizer files them under. */
bool suppressions_match_stack(struct tl__suppressions *s, const char *type,
                              const struct tl__frame *stack, size_t nframes);

/* How many entries were loaded, of every type. */
size_t suppressions_count(const struct tl__suppressions *s);

/* The entries that matched at least once, in file order, for a "used suppressions" summary as
 * TSan prints with print_suppressions. Fills the first cap of them into the arrays (any array may
 * be NULL) and returns how many there are in all. The strings live as long as s. */
size_t suppressions_used(const struct tl__suppressions *s, const char **types,
                         const char **patterns, unsigned *hits, size_t cap);

#endif
