/* libthreadleak.so's side of locks_hooks.h: no lock module, so nothing to find or do. The lock
 * module's build leaves this file out (CMakeLists.txt). */
#include "locks_hooks.h"

struct tl__lock_findings *locks_findings_build(void)
{
    return NULL;
}

size_t locks_findings_count(const struct tl__lock_findings *f)
{
    (void)f;
    return 0;
}

void locks_findings_free(struct tl__lock_findings *f)
{
    (void)f;
}

bool locks_checked(void)
{
    return false;
}

struct tl__lock_mark *locks_mark_take(void)
{
    return NULL;
}

struct tl__lock_findings *locks_findings_since(const struct tl__lock_mark *since)
{
    (void)since;
    return NULL;
}

int locks_findings_write_text(FILE *out, pid_t pid, const struct tl__lock_findings *f, bool color)
{
    (void)out;
    (void)pid;
    (void)f;
    (void)color;
    return -1;
}

void locks_own_work_begin(void)
{
}

void locks_own_work_end(void)
{
}

void locks_thread_exiting(void)
{
}

void locks_join_begin(pthread_t thread, const struct tl__thread_record *r)
{
    (void)thread;
    (void)r;
}

void locks_join_end(pthread_t thread)
{
    (void)thread;
}

bool locks_join_wait_begin(pthread_t thread, const struct tl__thread_record *r, uintptr_t pc)
{
    (void)thread;
    (void)r;
    (void)pc;
    return false;
}

void locks_join_wait_end(void)
{
}

bool locks_thread_state(struct tl__thread_locks *out)
{
    (void)out;
    return false;
}

struct tl__lock_page *locks_page_build(bool *absent)
{
    *absent = true;
    return NULL;
}

void locks_page_free(struct tl__lock_page *page)
{
    (void)page;
}
