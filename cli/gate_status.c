/* The gate's verdict. TSan exits with its `exitcode` (66) at the end of any process that
 * reported, replacing the program's own status; that status then says nothing about PROG, so the
 * gate decides as if PROG had exited 0, and --fail-on can let the findings through. */
#include "gate_status.h"

#include "child_wait.h"
#include "gate_channel.h"

#include <string.h>
#include <sys/wait.h>

static const struct {
    const char *word;
    unsigned bit;
} categories[] = {
    {"leaks", TL_FAIL_ON_LEAKS},         {"races", TL_FAIL_ON_RACES},
    {"deadlocks", TL_FAIL_ON_DEADLOCKS}, {"lock-order", TL_FAIL_ON_LOCK_ORDER},
    {"misuse", TL_FAIL_ON_MISUSE},
};

static unsigned category(const char *word, size_t len)
{
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
        if (strlen(categories[i].word) == len && memcmp(word, categories[i].word, len) == 0)
            return categories[i].bit;
    }
    return 0;
}

int gate_parse_fail_on(const char *text, unsigned *out)
{
    if (strcmp(text, "none") == 0 || strcmp(text, "all") == 0) {
        *out = strcmp(text, "all") == 0 ? TL_FAIL_ON_DEFAULT : 0;
        return 0;
    }
    unsigned bits = 0;
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ",");
        unsigned bit = category(p, len);
        if (!bit || (bits & bit))
            return -1;
        bits |= bit;
        p += len;
        if (!*p)
            break;
    }
    *out = bits;
    return 0;
}

static bool status_is_tsans(const struct tl__gate_outcome *o, int status)
{
    return WIFEXITED(o->prog_wait_status) && status != 0 && status == o->tsan_exitcode &&
           o->prog_tsan_reported;
}

/* A deadlock in PROG's own process explains whatever status followed: the abort that
 * deadlock=abort makes, or PROG's own reaction to a hang. */
static bool status_is_deadlocks(const struct tl__gate_outcome *o)
{
    return o->prog_deadlocked && (o->fail_on & TL_FAIL_ON_DEADLOCKS);
}

/* Lock-order inversions and misuse fail with --exitcode, as leaks do. */
static bool lock_findings_fail(const struct tl__gate_outcome *o)
{
    return ((o->fail_on & TL_FAIL_ON_LOCK_ORDER) && o->lock_order > 0) ||
           ((o->fail_on & TL_FAIL_ON_MISUSE) && o->misuse > 0);
}

int gate_final_status(const struct tl__gate_outcome *o)
{
    int status = child_exit_status(o->prog_wait_status);
    if (status != 0 && !status_is_tsans(o, status) && !status_is_deadlocks(o))
        return status;
    if (o->leaked < 0)
        return TL_STATUS_TOOL_FAILED;
    if ((o->fail_on & TL_FAIL_ON_DEADLOCKS) && o->deadlocks > 0)
        return TL_STATUS_DEADLOCK;
    bool fail = ((o->fail_on & TL_FAIL_ON_LEAKS) && o->leaked > 0) ||
                ((o->fail_on & TL_FAIL_ON_RACES) && o->tsan_findings > 0);
    fail = fail || lock_findings_fail(o);
    if (fail && o->exitcode != 0)
        return o->exitcode;
    return o->undelivered > 0 ? TL_STATUS_UNDELIVERED : 0;
}
