/* __libc_start_main, wrapped so that threadleak gets a moment right before main runs: the only
 * point where an exit handler can be registered after libc's own _dl_fini handler, and so run
 * before library destructors (see interpose_exit.c). Everything else passes through untouched. */
#include "interpose_exit.h"

#include "shim_state.h"

#include <dlfcn.h>
#include <stddef.h>

#define TL_EXPORT __attribute__((visibility("default")))

typedef int (*main_fn)(int, char **, char **);
typedef int (*libc_start_main_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                                  void (*)(void), void *);

static main_fn program_main;

static int main_with_exit_hook(int argc, char **argv, char **envp)
{
    shim_register_main_exit_hook();
    return program_main(argc, argv, envp);
}

TL_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    libc_start_main_fn real = (libc_start_main_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    program_main = main;
    return real(main_with_exit_hook, argc, argv, init, fini, rtld_fini, stack_end);
}
