/* Shared wording of the profile renderers. */
#include "profile_format.h"

#include <stdbool.h>
#include <string.h>

#define NS_PER_MS  1000000ull
#define NS_PER_SEC 1000000000ull

static void plural(char *buf, size_t len, uint64_t n, const char *unit)
{
    snprintf(buf, len, "%llu %s%s", (unsigned long long)n, unit, n == 1 ? "" : "s");
}

void profile_format_duration(uint64_t ns, char *buf, size_t len)
{
    uint64_t seconds = ns / NS_PER_SEC;
    if (seconds == 0)
        snprintf(buf, len, "%llu ms", (unsigned long long)(ns / NS_PER_MS));
    else if (seconds < 60)
        plural(buf, len, seconds, "second");
    else if (seconds < 3600)
        plural(buf, len, seconds / 60, "minute");
    else if (seconds < 86400)
        plural(buf, len, seconds / 3600, "hour");
    else
        plural(buf, len, seconds / 86400, "day");
}

void profile_state_text(const struct thread_profile_thread *t, char *buf, size_t len)
{
    const char *text = "unknown";
    switch (t->state) {
    case THREAD_PROFILE_RUNNING:
        text = "running";
        break;
    case THREAD_PROFILE_WAITING:
        text = t->kernel && t->kernel->wait[0] ? t->kernel->wait : "waiting";
        break;
    case THREAD_PROFILE_STOPPED:
        text = "stopped";
        break;
    case THREAD_PROFILE_EXITING:
        text = "exiting";
        break;
    case THREAD_PROFILE_EXITED_UNJOINED:
        text = "exited, not joined";
        break;
    case THREAD_PROFILE_STATE_COUNT:
        break;
    }
    snprintf(buf, len, "%s", text);
}

void profile_state_with_duration(const struct thread_profile_thread *t, char *buf, size_t len)
{
    char state[PROFILE_TEXT_MAX], duration[64];
    profile_state_text(t, state, sizeof state);
    if (t->duration == THREAD_PROFILE_DURATION_NONE) {
        snprintf(buf, len, "%s", state);
        return;
    }
    profile_format_duration(t->state_ns, duration, sizeof duration);
    snprintf(buf, len, "%s, %s%s", state,
             t->duration == THREAD_PROFILE_DURATION_AT_LEAST ? "at least " : "", duration);
}

const char *profile_missing_stack_reason(const struct thread_profile_thread *t)
{
    if (t->state == THREAD_PROFILE_EXITED_UNJOINED)
        return "exited";
    if (t->stack_status == LIVE_STACK_OK)
        return "empty stack";
    return live_stack_status_name(t->stack_status);
}

bool profile_quote(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    if (len < 3)
        goto too_long;
    buf[at++] = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (at + 4 + 2 > len)
            goto too_long;
        if (*c == '"' || *c == '\\') {
            buf[at++] = '\\';
            buf[at++] = (char)*c;
        } else if (*c < 0x20 || *c == 0x7f) {
            buf[at++] = '\\';
            buf[at++] = 'x';
            buf[at++] = hex[*c >> 4];
            buf[at++] = hex[*c & 15];
        } else {
            buf[at++] = (char)*c;
        }
    }
    buf[at++] = '"';
    buf[at] = '\0';
    return true;
too_long:
    if (len > 0)
        buf[0] = '\0';
    return false;
}

void profile_write_quoted(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(out, "\\x%02x", *c);
        else
            putc(*c, out);
    }
    putc('"', out);
}

void profile_creator_text(const struct thread_profile_thread *t, char *buf, size_t len)
{
    if (t->creator_is_main)
        snprintf(buf, len, "main thread");
    else if (t->creator_tid)
        snprintf(buf, len, "thread %d \"%s\"", (int)t->creator_tid, t->creator_name);
    else
        snprintf(buf, len, "%s", "");
}
