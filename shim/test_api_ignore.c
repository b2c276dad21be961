/* The ignore lists of tl_options: by the function on top of a thread's current stack, by any
 * function on it, and by any function on the stack that created the thread.
 *
 * The verdict asks this once per thread, and only for threads that no snapshot, scope or
 * exclusion already took out, so symbolisation (and, for top and any, a live stack dump) is paid
 * for only when some thread needs it. */
#include "test_api_internal.h"

#include "symbolize.h"

#include <string.h>

/* Where a C++ parameter list ("(int, char*)", maybe followed by " const") begins in name[0..len),
 * or len when there is none. */
static size_t parameters_start(const char *name, size_t len)
{
    static const char qualifier[] = " const";
    size_t q = sizeof qualifier - 1;
    if (len > q && strncmp(name + len - q, qualifier, q) == 0)
        len -= q;
    if (len == 0 || name[len - 1] != ')')
        return len;
    int depth = 0;
    for (size_t i = len; i-- > 0;) {
        depth += name[i] == ')';
        depth -= name[i] == '(';
        if (depth == 0)
            return i > 0 ? i : len; /* "(anonymous namespace)" alone is not a parameter list */
    }
    return len;
}

/* The length of function without what the user does not write: a compiler clone suffix (GCC
 * names the copies it specialises "f.constprop.0", "f.isra.0", "f.part.0" or "f.cold", demangled
 * "f(int) [clone .constprop.0]") and a C++ parameter list. */
static size_t base_name_length(const char *function)
{
    const char *clone = strstr(function, " [clone .");
    size_t len = clone ? (size_t)(clone - function) : strlen(function);
    const char *dot = memchr(function, '.', len);
    if (!clone && dot && dot != function && !strchr(function, '('))
        len = (size_t)(dot - function);
    return parameters_start(function, len);
}

bool test_api_name_matches(const char *pattern, const char *function)
{
    if (!pattern || !function)
        return false;
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, function, n - 1) == 0;
    if (strcmp(pattern, function) == 0)
        return true;
    /* "f" for "f.constprop.0", "ns::f" for "ns::f(int) const", and "ns::f(int)" for
     * "ns::f(int) [clone .isra.0]". */
    const char *clone = strstr(function, " [clone .");
    if (clone && n == (size_t)(clone - function) && strncmp(pattern, function, n) == 0)
        return true;
    return n == base_name_length(function) && strncmp(pattern, function, n) == 0;
}

static bool listed(const char *const *list, const char *function)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (test_api_name_matches(list[i], function))
            return true;
    }
    return false;
}

static bool any_listed(const char *const *list, const char *const *functions, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (listed(list, functions[i]))
            return true;
    }
    return false;
}

bool test_api_has_ignore_lists(const tl_options *opts)
{
    return (opts->ignore_top && opts->ignore_top[0]) || (opts->ignore_any && opts->ignore_any[0]) ||
           (opts->ignore_created_by && opts->ignore_created_by[0]);
}

static bool created_by_listed(const char *const *list, const struct tl__thread_info *t)
{
    struct tl__frame stack[TL_MAX_FRAMES];
    size_t depth = findings_creation_stack(t, stack);
    for (size_t i = 0; i < depth; i++) {
        if (listed(list, stack[i].function))
            return true;
    }
    return false;
}

bool test_api_ignored_by_lists(const struct tl__thread_info *t, void *ctx)
{
    struct test_api_ignore_ctx *c = ctx;
    const tl_options *opts = c->opts;
    if ((opts->ignore_top && opts->ignore_top[0]) || (opts->ignore_any && opts->ignore_any[0])) {
        const char *functions[LIVE_STACK_MAX_FRAMES];
        size_t top = 0;
        size_t n =
            test_api_current_functions(&c->stacks, t, functions, LIVE_STACK_MAX_FRAMES, &top);
        if (n > 0 && listed(opts->ignore_top, functions[top]))
            return true;
        if (any_listed(opts->ignore_any, functions, n))
            return true;
    }
    return opts->ignore_created_by && opts->ignore_created_by[0] &&
           created_by_listed(opts->ignore_created_by, t);
}
