/* The gate's verdict. TSan exits with its `exitcode` (66) at the end of any process that
 * reported, replacing the program's own status; that status then says nothing about PROG, so the
 * gate decides as if PROG had exited 0, and --fail-on can let the findings through. */
#include "gate_status.h"

#include "child_wait.h"
#include "gate_channel.h"

#include <string.h>
#include <sys/wait.h>

static unsigned category(const char *word, size_t len)
{
    if (len == 5 && memcmp(word, "leaks", 5) == 0)
        return TL_FAIL_ON_LEAKS;
    if (len == 5 && memcmp(word, "races", 5) == 0)
        return TL_FAIL_ON_RACES;
    return 0;
}

int gate_parse_fail_on(const char *text, unsigned *out)
{
    if (strcmp(text, "none") == 0) {
        *out = 0;
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

int gate_final_status(const struct tl__gate_outcome *o)
{
    int status = child_exit_status(o->prog_wait_status);
    if (status != 0 && !status_is_tsans(o, status))
        return status;
    if (o->leaked < 0)
        return TL_STATUS_TOOL_FAILED;
    bool fail = ((o->fail_on & TL_FAIL_ON_LEAKS) && o->leaked > 0) ||
                ((o->fail_on & TL_FAIL_ON_RACES) && o->tsan_findings > 0);
    if (fail && o->exitcode != 0)
        return o->exitcode;
    return o->undelivered > 0 ? TL_STATUS_UNDELIVERED : 0;
}
