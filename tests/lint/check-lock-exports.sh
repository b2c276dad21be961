#!/bin/sh
# Fails when libthreadleak.so (the plain shim) defines a lock function, or when the lock module
# (libthreadleak-locks.so) lacks one: without the lock module a lock call must never enter
# threadleak's code (docs/locks.md). The list is the lock entries of shim/interceptors.inc.
# usage: check-lock-exports.sh NM LIBTHREADLEAK LIBTHREADLEAK_LOCKS
set -eu
nm=$1
plain=$2
locks=$3
pattern='^(pthread_mutex_|pthread_rwlock_|pthread_cond_|mtx_|cnd_)'

in_plain=$("$nm" -D --defined-only "$plain" | awk '{ print $NF }' | sed 's/@.*//' |
    grep -E "$pattern" || true)
if [ -n "$in_plain" ]; then
    echo "$plain defines lock functions:" $in_plain
    exit 1
fi
expected="pthread_mutex_init pthread_mutex_destroy pthread_mutex_lock pthread_mutex_trylock
pthread_mutex_timedlock pthread_mutex_clocklock pthread_mutex_unlock pthread_rwlock_init
pthread_rwlock_destroy pthread_rwlock_rdlock pthread_rwlock_wrlock pthread_rwlock_tryrdlock
pthread_rwlock_trywrlock pthread_rwlock_timedrdlock pthread_rwlock_timedwrlock
pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock pthread_rwlock_unlock pthread_cond_wait
pthread_cond_timedwait pthread_cond_clockwait mtx_init mtx_destroy mtx_lock mtx_trylock
mtx_timedlock mtx_unlock cnd_wait cnd_timedwait"
in_locks=$("$nm" -D --defined-only "$locks" | awk '{ print $NF }' | sed 's/@.*//')
for name in $expected; do
    if ! printf '%s\n' "$in_locks" | grep -qx "$name"; then
        echo "$locks does not export $name"
        exit 1
    fi
done
echo "$plain defines no lock function; $locks exports all $(echo $expected | wc -w)"
