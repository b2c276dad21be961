/* What the fast path may skip, and what it may not (docs/locks.md, "What it costs"). A thread
 * that holds one lock and takes the same other lock under it again skips the order graph: the
 * edge is known. Until an identity ends: here `table` is destroyed and made again at the same
 * address while `index` stays held, and the new `table`, taken under `index` by the same call,
 * is a new node whose edge must be made. Then `table` -> `index` closes an inversion with the
 * new `table` alone.
 *
 *   reinit_under_held   expected: one lock-order inversion, index <-> the second table
 *   same_pair           the same pair 1,000 times, then nothing else: clean */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t table_lock;

static void update_table_under_index(void)
{
    pthread_mutex_lock(&table_lock); /* LINE_TABLE_UNDER_INDEX */
    pthread_mutex_unlock(&table_lock);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_mutex_init(&table_lock, NULL);
    pthread_mutex_lock(&index_lock);
    for (int i = 0; i < 1000; i++)
        update_table_under_index();
    if (strcmp(mode, "reinit_under_held") == 0) {
        pthread_mutex_destroy(&table_lock);
        pthread_mutex_init(&table_lock, NULL);
        update_table_under_index(); /* the new table under index: a new edge */
    }
    pthread_mutex_unlock(&index_lock);
    if (strcmp(mode, "reinit_under_held") == 0) {
        pthread_mutex_lock(&table_lock);
        pthread_mutex_lock(&index_lock); /* LINE_INDEX_UNDER_TABLE */
        pthread_mutex_unlock(&index_lock);
        pthread_mutex_unlock(&table_lock);
    }
    puts("done");
    return 0;
}
