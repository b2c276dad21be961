/* c11_threads_clean: C11 <threads.h> workers that are all joined or detached.
 *
 * No bug: count_words splits the text between three thrd_create'd workers and thrd_joins each;
 * a fourth, detached with thrd_detach, only bumps an atomic counter and is waited for through it.
 *
 * Expected: clean. TSan: nothing (it does not see C11 threads at all on glibc >= 2.34; see
 * c11_threads_leak).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#define WORKERS 3

struct word_count_task {
    const char *begin;
    const char *end;
    int words;
};

static atomic_int audit_done;

static int count_words_in(void *arg)
{
    struct word_count_task *t = arg;
    int words = 0;
    int in_word = 0;
    for (const char *p = t->begin; p < t->end; p++) {
        int alpha = isalpha((unsigned char)*p);
        words += alpha && !in_word;
        in_word = alpha;
    }
    t->words = words;
    return thrd_success;
}

static int audit_log(void *arg)
{
    (void)arg;
    atomic_store(&audit_done, 1);
    return thrd_success;
}

/* Splits at spaces so no word straddles two workers. */
static int count_words(const char *text)
{
    size_t len = strlen(text);
    struct word_count_task tasks[WORKERS];
    thrd_t workers[WORKERS];
    const char *start = text;
    for (int i = 0; i < WORKERS; i++) {
        const char *end = i == WORKERS - 1 ? text + len : text + len * (i + 1) / WORKERS;
        while (*end && *end != ' ')
            end++;
        if (end < start)
            end = start;
        tasks[i] = (struct word_count_task){.begin = start, .end = end};
        start = end;
        if (thrd_create(&workers[i], count_words_in, &tasks[i]) != thrd_success)
            exit(1);
    }
    int total = 0;
    for (int i = 0; i < WORKERS; i++) {
        thrd_join(workers[i], NULL);
        total += tasks[i].words;
    }
    return total;
}

int main(void)
{
    thrd_t auditor;
    if (thrd_create(&auditor, audit_log, NULL) != thrd_success)
        return 1;
    thrd_detach(auditor);
    int words = count_words("one two three four five six seven eight nine ten eleven twelve");
    while (!atomic_load(&audit_done))
        thrd_yield();
    thrd_sleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL); /* auditor returns */
    printf("c11_threads_clean: %d words\n", words);
    return 0;
}
