/* Scopes: tl_scope_begin / tl_scope_end move the calling thread's tl__self_scope, which the shim
 * copies into every thread the caller creates (thread_launch_prepare), and from there into their
 * children. The enclosing scopes wait on a small per-thread stack, so begin/end nest. */
#include "test_api_internal.h"

#include "scopes.h"
#include "shim_state.h"

static TL_TLS uint32_t enclosing[TL_SCOPE_DEPTH];
static TL_TLS unsigned depth;
/* begins past TL_SCOPE_DEPTH: their ends must not pop a real scope. They come last and their ends
 * first, since begin/end pair up like brackets. */
static TL_TLS unsigned overflow;

THREADLEAK_API int tl_scope_begin(const char *name)
{
    if (depth == TL_SCOPE_DEPTH) {
        overflow++;
        return -1;
    }
    uint32_t id = scope_intern(name);
    /* A failed begin still takes a level, one that keeps the current scope, so ends pair up. */
    enclosing[depth++] = tl__self_scope;
    if (id == 0)
        return -1;
    tl__self_scope = id;
    return 0;
}

THREADLEAK_API void tl_scope_end(void)
{
    if (overflow > 0) {
        overflow--;
        return;
    }
    if (depth == 0)
        return;
    tl__self_scope = enclosing[--depth];
}

THREADLEAK_API const char *tl_scope_current(void)
{
    return scope_name(tl__self_scope);
}
