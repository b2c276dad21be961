/* debug=1 and debug=2 text. Threads without a current stack still appear: debug=1 groups them by
 * start routine under a comment line, debug=2 says why their stack is missing. */
#include "profile_text.h"

#include "profile_format.h"
#include "profile_groups.h"

#include <stdbool.h>

/* ---- debug=1 ---- */

static void write_debug1_frames(FILE *out, const struct thread_profile *p,
                                const struct thread_profile_stack *s)
{
    for (uint32_t i = 0; i < s->depth; i++) {
        const struct tl__location *loc = &p->locations[s->locations[i]];
        for (uint32_t k = 0; k < loc->nframes; k++) {
            const struct tl__frame *frame = &loc->frames[k];
            fprintf(out, "#\t0x%lx\t%s", (unsigned long)frame->pc, frame->function);
            if (!frame->inlined && loc->offset_known)
                fprintf(out, "+0x%lx", (unsigned long)loc->offset);
            if (frame->file)
                fprintf(out, "\t%s:%d", frame->file, frame->line);
            putc('\n', out);
        }
    }
}

static void write_debug1_group(FILE *out, const struct thread_profile *p,
                               const struct profile_group *g)
{
    const struct thread_profile_stack *s =
        g->stack == THREAD_PROFILE_NO_STACK ? NULL : &p->stacks[g->stack];
    fprintf(out, "%zu @", g->count);
    for (uint32_t i = 0; s && i < s->depth; i++)
        fprintf(out, " 0x%lx", (unsigned long)p->locations[s->locations[i]].pc);
    putc('\n', out);
    if (!s)
        fputs("# no stack\n", out);
    else if (!g->current)
        fputs("# no current stack; start routine:\n", out);
    if (s)
        write_debug1_frames(out, p, s);
    putc('\n', out);
}

int profile_write_debug1(FILE *out, const struct thread_profile *p)
{
    struct profile_grouping g;
    if (profile_group_threads(p, PROFILE_GROUP_BY_STACK, &g) != 0)
        return -1;
    fprintf(out, "threads profile: total %zu\n", p->count);
    for (size_t i = 0; i < g.ngroups; i++)
        write_debug1_group(out, p, &g.groups[i]);
    profile_grouping_free(&g);
    return ferror(out) ? -1 : 0;
}

/* ---- debug=2 ---- */

static void write_location(FILE *out, const struct tl__location *loc)
{
    for (uint32_t k = 0; k < loc->nframes; k++) {
        const struct tl__frame *frame = &loc->frames[k];
        fprintf(out, "%s(...)\n\t", frame->function);
        if (frame->file)
            fprintf(out, "%s:%d", frame->file, frame->line);
        else
            fputs(frame->module ? frame->module : "??", out);
        if (!frame->inlined && loc->offset_known)
            fprintf(out, " +0x%lx", (unsigned long)loc->offset);
        putc('\n', out);
    }
}

static void write_stack(FILE *out, const struct thread_profile *p, uint32_t stack)
{
    const struct thread_profile_stack *s = &p->stacks[stack];
    for (uint32_t i = 0; i < s->depth; i++)
        write_location(out, &p->locations[s->locations[i]]);
}

static void write_header(FILE *out, const struct thread_profile_thread *t)
{
    char state[PROFILE_TEXT_MAX + 64];
    profile_state_with_duration(t, state, sizeof state);
    fprintf(out, "thread %d ", (int)t->tid);
    profile_write_quoted(out, t->name);
    fprintf(out, " [%s]:\n", state);
}

static void write_created_by(FILE *out, const struct thread_profile *p,
                             const struct thread_profile_thread *t)
{
    if (t->flags & TL_F_MAIN)
        return;
    if (!t->tracked) {
        fputs("created by an unknown thread (not tracked by threadleak)\n", out);
        return;
    }
    const char *at = t->creation_stack != THREAD_PROFILE_NO_STACK ? " at:" : "";
    if (t->creator_is_main) {
        fprintf(out, "created by main thread%s\n", at);
    } else if (t->creator_tid) {
        fprintf(out, "created by thread %d ", (int)t->creator_tid);
        profile_write_quoted(out, t->creator_name);
        fprintf(out, "%s\n", at);
    } else {
        fprintf(out, "created by an unknown thread%s\n", at);
    }
    if (t->creation_stack != THREAD_PROFILE_NO_STACK)
        write_stack(out, p, t->creation_stack);
}

static void write_thread(FILE *out, const struct thread_profile *p,
                         const struct thread_profile_thread *t)
{
    write_header(out, t);
    if (t->stack != THREAD_PROFILE_NO_STACK) {
        write_stack(out, p, t->stack);
        if (t->stack_partial)
            fprintf(out, "(%s)\n", LIVE_STACK_PARTIAL_NOTE);
    } else
        fprintf(out, "(no current stack: %s%s%s)\n", profile_missing_stack_reason(t),
                t->start_routine ? "; start routine " : "",
                t->start_routine ? t->start_routine : "");
    write_created_by(out, p, t);
    putc('\n', out);
}

int profile_write_debug2(FILE *out, const struct thread_profile *p)
{
    for (size_t i = 0; i < p->count; i++)
        write_thread(out, p, &p->threads[i]);
    return ferror(out) ? -1 : 0;
}
