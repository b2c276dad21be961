/* The test API's checks: tl_verify_none, tl_find and tl_verify_main. Each is one run of the check
 * pipeline (detector/check.h) that the exit report runs too: a verdict (which waits for running
 * threads on exit events, never by polling), then findings for the leaks and their live state. */
#include "test_api_internal.h"

#include "check.h"
#include "scopes.h"
#include "shim_init.h"
#include "shim_state.h"
#include "text_report.h"

#include <stdlib.h>
#include <unistd.h>

_Static_assert(TL_MODE_ALL == 0 && TL_MODE_TSAN == 1, "public and internal tl_mode differ");
_Static_assert(TL_COLOR_AUTO == 0 && TL_COLOR_ALWAYS == 1 && TL_COLOR_NEVER == 2,
               "public and internal tl_color differ");

static const tl_options default_options;

static unsigned linger_for(const tl_options *opts)
{
    if (opts->linger_ms == 0)
        return TL_LINGER_DEFAULT_MS;
    if (opts->linger_ms == TL_LINGER_NONE)
        return 0;
    return opts->linger_ms;
}

/* The scope id to check; 0 = every thread. A name the scope table cannot take (it is full)
 * falls back to every thread: over-reporting is better than silently checking nothing. */
static uint32_t scope_for(const tl_options *opts)
{
    if (!opts->scope || !opts->scope[0])
        return 0;
    return scope_intern(opts->scope);
}

/* The test API's request: the configuration's filters (suppressions), then this check's options:
 * scope and snapshot as the verdict's pre-filters, the ignore lists as one more filter. */
static void fill_request(const tl_options *opts, struct test_api_ignore_ctx *ignore_ctx,
                         struct tl__check_request *req)
{
    check_request_init(req, &tl__cfg, shim_current_tid());
    req->verdict.mode = opts->mode;
    req->verdict.linger_ms = linger_for(opts);
    req->verdict.scope = scope_for(opts);
    if (opts->ignore_current) {
        req->verdict.ignore_serials = opts->ignore_current->serials;
        req->verdict.nignore = opts->ignore_current->count;
    }
    ignore_ctx->stacks.options = req->live;
    if (test_api_has_ignore_lists(opts))
        check_add_filter(req, "ignore lists", test_api_ignored_by_lists, ignore_ctx);
}

struct tl__findings *test_api_check(const tl_options *opts)
{
    shim_init();
    struct test_api_ignore_ctx ignore_ctx = {.opts = opts};
    struct tl__check_request req;
    fill_request(opts, &ignore_ctx, &req);
    struct tl__check_result check;
    check_run(&req, &check);
    test_api_stack_cache_free(&ignore_ctx.stacks);
    check_request_fini(&req);
    return check.findings;
}

static bool color_for(const tl_options *opts, FILE *out)
{
    if (opts->color == TL_COLOR_ALWAYS)
        return true;
    if (opts->color == TL_COLOR_NEVER)
        return false;
    const char *no_color = getenv("NO_COLOR");
    int fd = fileno(out);
    return (!no_color || !no_color[0]) && fd >= 0 && isatty(fd);
}

THREADLEAK_API int tl_verify_none(const tl_options *opts)
{
    if (!opts)
        opts = &default_options;
    struct tl__findings *f = test_api_check(opts);
    if (!f)
        return 0;
    FILE *out = opts->out ? opts->out : stderr;
    report_write_text(out, f, color_for(opts, out));
    int leaked = (int)f->leaked;
    findings_free(f);
    return leaked;
}

THREADLEAK_API tl_report *tl_find(const tl_options *opts)
{
    struct tl__findings *f = test_api_check(opts ? opts : &default_options);
    if (!f)
        return NULL;
    tl_report *r = calloc(1, sizeof *r);
    if (!r) {
        findings_free(f);
        return NULL;
    }
    r->findings = f;
    return r;
}

THREADLEAK_API int tl_verify_main(int (*run)(void *ctx), void *ctx, const tl_options *opts)
{
    int status = run(ctx);
    if (tl_verify_none(opts) == 0)
        return status;
    return status != 0 ? status : 1;
}
