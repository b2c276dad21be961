/* The test API's checks: tl_verify_none, tl_find and tl_verify_main. Each is one verdict (which
 * waits for running threads on exit events, never by polling), then findings for the leaks. */
#include "test_api_internal.h"

#include "scopes.h"
#include "shim_state.h"
#include "text_report.h"
#include "verdict.h"

#include <stdlib.h>
#include <string.h>
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

static void fill_request(const tl_options *opts, struct tl__verdict_filter *lists,
                         struct tl__verdict_request *req)
{
    memset(req, 0, sizeof *req);
    req->mode = opts->mode;
    req->linger_ms = linger_for(opts);
    req->calling_tid = shim_current_tid();
    req->scope = scope_for(opts);
    if (opts->ignore_current) {
        req->ignore_serials = opts->ignore_current->serials;
        req->nignore = opts->ignore_current->count;
    }
    if (test_api_has_ignore_lists(opts)) {
        req->filters = lists;
        req->nfilters = 1;
    }
}

/* What the leaked threads are doing now, as the exit report shows it: the kernel's wait channel
 * always, the current stack unless stacks=nosignal (the dump's signal makes nanosleep, poll and
 * select return EINTR in every thread it interrupts). Leak path only. */
static void attach_live_state(struct tl__findings *f)
{
    struct live_stacks_dump dump = {0};
    bool dumped = false;
    if (tl__cfg.stacks == TL_STACKS_SIGNAL) {
        struct live_stacks_options options = {
            .signal = tl__cfg.dump_signal,
            .deadline_ms = tl__cfg.dump_timeout_ms,
        };
        dumped = live_stacks_dump(&options, &dump) == 0;
    }
    findings_attach_live(f, dumped ? &dump : NULL);
    if (dumped)
        live_stacks_free(&dump);
}

struct tl__findings *test_api_check(const tl_options *opts)
{
    shim_init();
    struct test_api_ignore_ctx ignore_ctx = {.opts = opts};
    struct tl__verdict_filter lists = {"ignore lists", test_api_ignored_by_lists, &ignore_ctx};
    struct tl__verdict_request req;
    fill_request(opts, &lists, &req);
    struct tl__verdict verdict;
    verdict_run(&req, &verdict);
    test_api_stack_cache_free(&ignore_ctx.stacks);
    if (verdict.nleaks == 0) {
        verdict_free(&verdict);
        return NULL;
    }
    /* Symbolisation happens here, for the leaks only: ignored and snapshot threads cost nothing. */
    struct tl__findings *f =
        findings_build(verdict.leaks, verdict.nleaks, opts->mode, verdict.ignored);
    verdict_free(&verdict);
    if (f)
        attach_live_state(f);
    return f;
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
    tl_report *r = malloc(sizeof *r);
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
