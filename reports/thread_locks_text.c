/* A thread's locks as jstack prints them (thread_locks_text.h). */
#include "thread_locks_text.h"

#include "profile_format.h"
#include "thread_locks.h"

const struct thread_profile_thread *profile_thread_by_tid(const struct thread_profile *p, pid_t tid)
{
    size_t at = thread_profile_index(p, tid);
    return at < p->count ? &p->threads[at] : NULL;
}

void thread_lock_write_ref(FILE *out, const struct thread_profile_lock *l)
{
    fprintf(out, "<0x%lx> (%s", (unsigned long)l->address, tl__thread_lock_c_type(l->type));
    if (l->type == TL_THREAD_LOCK_RWLOCK)
        fputs(l->read ? ", read" : ", write", out);
    putc(')', out);
}

void thread_lock_write_site(FILE *out, const struct thread_profile *p,
                            const struct thread_profile_lock *l)
{
    if (l->location == THREAD_PROFILE_NO_LOCATION || l->location >= p->nlocations)
        return;
    const struct tl__location *loc = &p->locations[l->location];
    const struct tl__frame *f = &loc->frames[0]; /* the innermost: the line of the call */
    if (f->file)
        fprintf(out, " at %s:%d", f->file, f->line);
    else if (f->function && f->function[0] != '?')
        fprintf(out, " at %s", f->function);
    else
        fprintf(out, " at 0x%lx (%s)", (unsigned long)loc->pc, f->module ? f->module : "??");
}

void thread_lock_write_thread(FILE *out, const struct thread_profile *p, pid_t tid)
{
    fprintf(out, " thread %d", (int)tid);
    const struct thread_profile_thread *t = profile_thread_by_tid(p, tid);
    if (t) {
        putc(' ', out);
        profile_write_quoted(out, t->name);
    }
}

void thread_lock_write_owner(FILE *out, const struct thread_profile *p, pid_t owner)
{
    if (owner <= 0)
        return;
    fputs(" held by", out);
    thread_lock_write_thread(out, p, owner);
}

void thread_lock_write_wait_target(FILE *out, const struct thread_profile *p,
                                   const struct thread_profile_locks *locks)
{
    if (locks->waits_for.type == TL_THREAD_LOCK_THREAD) {
        if (locks->waits_for_owner > 0) {
            putc(':', out);
            thread_lock_write_thread(out, p, locks->waits_for_owner);
        }
    } else {
        thread_lock_write_owner(out, p, locks->waits_for_owner);
    }
    if (locks->waits_for_mutex)
        fprintf(out, ", with <0x%lx> released", (unsigned long)locks->waits_for_mutex);
}

/* jstack's verbs: "waiting to lock" a lock, "waiting to join" a thread, "waiting on" the rest. */
static const char *wait_verb(uint8_t type)
{
    if (tl__thread_lock_is_lock(type))
        return "waiting to lock";
    return type == TL_THREAD_LOCK_THREAD ? "waiting to join" : "waiting on";
}

void thread_locks_write_text(FILE *out, const struct thread_profile *p,
                             const struct thread_profile_thread *t, const char *prefix)
{
    const struct thread_profile_locks *locks = t->locks;
    if (!locks)
        return;
    if (locks->waiting) {
        fprintf(out, "%s- %s ", prefix, wait_verb(locks->waits_for.type));
        thread_lock_write_ref(out, &locks->waits_for);
        thread_lock_write_wait_target(out, p, locks);
        putc('\n', out);
    }
    for (uint32_t i = locks->nheld; i-- > 0;) {
        fprintf(out, "%s- locked ", prefix);
        thread_lock_write_ref(out, &locks->held[i]);
        thread_lock_write_site(out, p, &locks->held[i]);
        if (locks->held[i].known_from)
            fprintf(out, " (known from thread %d, which waits for it)",
                    (int)locks->held[i].known_from);
        putc('\n', out);
    }
    if (locks->overflow)
        fprintf(out, "%s- and %u more locked, not listed (more than %d held at once)\n", prefix,
                (unsigned)locks->overflow, TL_THREAD_LOCKS_MAX);
}
