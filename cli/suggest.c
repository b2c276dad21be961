/* Nearest-word suggestions for usage errors (suggest.h). */
#include "suggest.h"

#include <stdio.h>
#include <string.h>

#define SUGGEST_MAX_OPTIONS 128 /* more than any table has; the rest are not suggested */

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t suggest_distance(const char *a, const char *b)
{
    size_t n = strnlen(a, SUGGEST_MAX_WORD), m = strnlen(b, SUGGEST_MAX_WORD);
    /* Three rows of the dynamic programme: the swap of neighbours looks two rows back. */
    size_t rows[3][SUGGEST_MAX_WORD + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
        size_t *oldest = prev2;
        prev2 = prev;
        prev = cur;
        cur = oldest;
    }
    return prev[m];
}

const char *suggest_nearest(const char *word, const char *const *candidates, size_t count)
{
    size_t len = strlen(word);
    size_t limit = len <= 4 ? 1 : 2;
    if (limit >= len)
        limit = len ? len - 1 : 0;
    const char *best = NULL;
    size_t best_distance = limit + 1;
    for (size_t i = 0; i < count; i++) {
        size_t d = suggest_distance(word, candidates[i]);
        if (d < best_distance) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}

const char *suggest_long_option(const char *arg, const struct option *table)
{
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    char word[SUGGEST_MAX_WORD + 1];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
    const char *names[SUGGEST_MAX_OPTIONS];
    size_t count = 0;
    for (; table[count].name && count < SUGGEST_MAX_OPTIONS; count++)
        names[count] = table[count].name;
    return suggest_nearest(word, names, count);
}

void suggest_option_hint(const char *arg, const struct option *table, char *buf, size_t len)
{
    const char *near = suggest_long_option(arg, table);
    if (near)
        snprintf(buf, len, " (did you mean '--%s'?)", near);
    else if (len)
        buf[0] = '\0';
}
