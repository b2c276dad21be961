/* debug=1 and debug=2 text. Threads without a current stack still appear: debug=1 groups them by
 * start routine under a comment line, debug=2 says why their stack is missing. */
#include "profile_text.h"

#include "profile_format.h"
#include "profile_groups.h"
#include "thread_locks_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Each distinct stack's text, rendered on first use: a pool's workers share one stack, and
 * writing it once and copying it for every thread costs a fraction of formatting it each time. */
struct stack_texts {
    char **text; /* per stack index; NULL until rendered */
    size_t *len;
    size_t count;
};

static void write_stack_uncached(FILE *out, const struct thread_profile *p, uint32_t stack)
{
    const struct thread_profile_stack *s = &p->stacks[stack];
    for (uint32_t i = 0; i < s->depth; i++)
        write_location(out, &p->locations[s->locations[i]]);
}

static void write_stack(FILE *out, const struct thread_profile *p, struct stack_texts *cache,
                        uint32_t stack)
{
    if (!cache->text || stack >= cache->count) {
        write_stack_uncached(out, p, stack);
        return;
    }
    if (!cache->text[stack]) {
        FILE *memory = open_memstream(&cache->text[stack], &cache->len[stack]);
        if (!memory) {
            write_stack_uncached(out, p, stack);
            return;
        }
        write_stack_uncached(memory, p, stack);
        if (fclose(memory) != 0 || !cache->text[stack]) {
            free(cache->text[stack]);
            cache->text[stack] = NULL;
            write_stack_uncached(out, p, stack);
            return;
        }
    }
    fwrite(cache->text[stack], 1, cache->len[stack], out);
}

static void write_header(FILE *out, const struct thread_profile_thread *t)
{
    char state[PROFILE_TEXT_MAX + 64];
    profile_state_with_duration(t, state, sizeof state);
    char name[PROFILE_QUOTED_NAME_MAX];
    if (profile_quote(t->name, name, sizeof name)) { /* one call: this runs for every thread */
        fprintf(out, "thread %d %s [%s]:\n", (int)t->tid, name, state);
        return;
    }
    fprintf(out, "thread %d ", (int)t->tid);
    profile_write_quoted(out, t->name);
    fprintf(out, " [%s]:\n", state);
}

static void write_created_by(FILE *out, const struct thread_profile *p, struct stack_texts *cache,
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
        char name[PROFILE_QUOTED_NAME_MAX];
        if (profile_quote(t->creator_name, name, sizeof name)) {
            fprintf(out, "created by thread %d %s%s\n", (int)t->creator_tid, name, at);
        } else {
            fprintf(out, "created by thread %d ", (int)t->creator_tid);
            profile_write_quoted(out, t->creator_name);
            fprintf(out, "%s\n", at);
        }
    } else {
        fprintf(out, "created by an unknown thread%s\n", at);
    }
    if (t->creation_stack != THREAD_PROFILE_NO_STACK)
        write_stack(out, p, cache, t->creation_stack);
}

static void write_thread(FILE *out, const struct thread_profile *p, struct stack_texts *cache,
                         const struct thread_profile_thread *t)
{
    write_header(out, t);
    if (t->stack != THREAD_PROFILE_NO_STACK) {
        write_stack(out, p, cache, t->stack);
        if (t->stack_partial)
            fprintf(out, "(%s)\n", LIVE_STACK_PARTIAL_NOTE);
    } else
        fprintf(out, "(no current stack: %s%s%s)\n", profile_missing_stack_reason(t),
                t->start_routine ? "; start routine " : "",
                t->start_routine ? t->start_routine : "");
    thread_locks_write_text(out, p, t, "\t"); /* with the lock module only */
    write_created_by(out, p, cache, t);
    putc('\n', out);
}

int profile_write_debug2(FILE *out, const struct thread_profile *p)
{
    /* Without memory for the cache, every stack is formatted where it is written. */
    struct stack_texts cache = {
        .text = calloc(p->nstacks ? p->nstacks : 1, sizeof *cache.text),
        .len = calloc(p->nstacks ? p->nstacks : 1, sizeof *cache.len),
        .count = p->nstacks,
    };
    if (!cache.text || !cache.len) {
        free(cache.text);
        cache.text = NULL;
    }
    for (size_t i = 0; i < p->count; i++)
        write_thread(out, p, &cache, &p->threads[i]);
    for (size_t i = 0; cache.text && i < cache.count; i++)
        free(cache.text[i]);
    free(cache.text);
    free(cache.len);
    return ferror(out) ? -1 : 0;
}
