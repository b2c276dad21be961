/* route_table_readers: two readers that take two rwlocks for reading, in both orders.
 *
 * A lookup reads the route table and then the ACL; an audit reads the ACL and then the route
 * table. Nobody writes. Two readers never wait for each other (glibc's default rwlock lets a
 * reader in while only readers hold it), so the reversed order cannot deadlock. The two threads run
 * at the same time and meet at a barrier while each holds its first read lock; then the lookup
 * read-locks the ACL, which the audit holds for reading, and only after the lookup is done does
 * the audit read-lock the route table (a second barrier), so that every run takes the two orders
 * the same way.
 *
 * Expected: clean, also with the lock module (lockdep's rule for recursive reads).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_rwlock_t routes_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t acl_lock = PTHREAD_RWLOCK_INITIALIZER;
static const int routes[4] = {10, 20, 30, 40};
static const int acl[4] = {1, 0, 1, 1};
static pthread_barrier_t both_reading, lookup_done;

static void *lookup(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&routes_lock);
    pthread_barrier_wait(&both_reading);
    pthread_rwlock_rdlock(&acl_lock); /* routes -> acl, for reading */
    long allowed = acl[2] ? routes[2] : 0;
    pthread_rwlock_unlock(&acl_lock);
    pthread_rwlock_unlock(&routes_lock);
    pthread_barrier_wait(&lookup_done);
    return (void *)allowed;
}

static void *audit(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&acl_lock);
    pthread_barrier_wait(&both_reading);
    pthread_barrier_wait(&lookup_done);  /* still reading the ACL */
    pthread_rwlock_rdlock(&routes_lock); /* acl -> routes, for reading */
    long open = 0;
    for (int i = 0; i < 4; i++)
        open += acl[i] ? routes[i] : 0;
    pthread_rwlock_unlock(&routes_lock);
    pthread_rwlock_unlock(&acl_lock);
    return (void *)open;
}

int main(void)
{
    pthread_barrier_init(&both_reading, NULL, 2);
    pthread_barrier_init(&lookup_done, NULL, 2);
    pthread_t a, b;
    if (pthread_create(&a, NULL, lookup, NULL) != 0 || pthread_create(&b, NULL, audit, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    void *allowed, *open;
    pthread_join(a, &allowed);
    pthread_join(b, &open);
    printf("route_table_readers: allowed=%ld open=%ld\n", (long)allowed, (long)open);
    return 0;
}
