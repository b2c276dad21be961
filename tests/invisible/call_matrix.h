/* What call_matrix.c and its C++ cases (call_matrix_cxx.cpp) share. */
#ifndef THREADLEAK_TEST_CALL_MATRIX_H
#define THREADLEAK_TEST_CALL_MATRIX_H

#ifdef __cplusplus
extern "C" {
#endif

/* Written by a case's call for values the call reports besides its return value (remaining
 * time, the handler that ran): "-" when it has none. */
struct call_extra {
    char text[64];
};

/* The call's timeout (TL_MATRIX_MS) and when a releasing case wakes it, both from the moment the
 * worker entered the call. */
extern long matrix_call_ms;
extern long matrix_release_ms;

/* The C++ cases: std::this_thread::sleep_for, std::condition_variable::wait_for (timing out, and
 * woken by notify_one with its predicate true). Return 0, or 1 for "timed out"/"predicate true"
 * as each case documents. */
long matrix_cxx_sleep_for(struct call_extra *x);
long matrix_cxx_cv_wait_for(struct call_extra *x);
long matrix_cxx_cv_wait_for_wake(struct call_extra *x);
void matrix_release_cv(void);

#ifdef __cplusplus
}
#endif

#endif
