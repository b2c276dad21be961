/* std::thread (and std::async, std::jthread): libstdc++ starts every one of them on its static
 * execute_native_thread_routine with a std::thread::_State* argument. That routine says nothing
 * about the user's code and cannot even be named (Debian's libstdc++ has no .symtab). The user's
 * callable is behind the _State's vtable: _State_impl<_Invoker<tuple<F, Args...>>>::_M_run, an
 * instantiation in the user's own binary whose name carries F's type. */
#ifndef THREADLEAK_CXX_THREADS_H
#define THREADLEAK_CXX_THREADS_H

/* Finds libstdc++'s code, if it is loaded. Start-up only. */
void cxx_threads_init(void);

/* For a routine inside libstdc++, the _M_run its _State argument would call; otherwise routine.
 * Async-signal-safe and allocation-free: two loads, done only when routine is libstdc++'s. */
void *cxx_thread_user_routine(void *routine, void *arg);

#endif
