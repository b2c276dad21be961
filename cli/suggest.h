/* "Did you mean ...?" for usage errors: the command or option nearest to a mistyped one. The
 * candidates come from the same tables the parsers use (the command table, getopt_long's option
 * tables), so an option added to a table is suggested with no further work. */
#ifndef THREADLEAK_CLI_SUGGEST_H
#define THREADLEAK_CLI_SUGGEST_H

#include <getopt.h>
#include <stddef.h>

/* The edit distance between a and b: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each count 1 (optimal string alignment). Words longer than
 * SUGGEST_MAX_WORD bytes are compared by their first SUGGEST_MAX_WORD bytes. */
#define SUGGEST_MAX_WORD 64
size_t suggest_distance(const char *a, const char *b);

/* Of count candidates, the one nearest to word when it is near enough to be a typo of it: at
 * most one edit for words of up to 4 bytes, two for longer ones, and fewer edits than word
 * has bytes. Ties go to the earlier candidate. NULL when none is near enough. */
const char *suggest_nearest(const char *word, const char *const *candidates, size_t count);

/* For an unknown long option arg ("--jsn" or "--jsn=x"), the name (without "--") of the option
 * in table (terminated by a zero entry) nearest to it, or NULL. */
const char *suggest_long_option(const char *arg, const struct option *table);

/* Writes " (did you mean '--NAME'?)" into buf when suggest_long_option finds one, else "". */
void suggest_option_hint(const char *arg, const struct option *table, char *buf, size_t len);

#endif
