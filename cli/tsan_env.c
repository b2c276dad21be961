/* Recognising TSan builds and composing TSAN_OPTIONS (san_options.c does the composing, for every
 * sanitizer alike). */
#include "tsan_env.h"

#include "elf_reader.h"
#include "san_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tl__tsan_build tsan_build_of(const char *path, const struct tl__elf_info *info)
{
    if (info && info->tsan_needed[0])
        return TL_TSAN_BUILD_GCC;
    if (elf_dynsym_lookup(path, "__tsan_init") == TL_DYNSYM_DEFINED)
        return TL_TSAN_BUILD_CLANG;
    return TL_TSAN_BUILD_NONE;
}

int tsan_env_compose(const char *user_options, const char *report_dir, struct tl__tsan_env *out,
                     char *err, size_t errlen)
{
    struct tl__san_options o;
    int rc = san_options_compose("TSAN_OPTIONS", user_options, report_dir, TL_TSAN_LOG_NAME,
                                 TL_TSAN_DEFAULT_EXITCODE, &o, err, errlen);
    *out = (struct tl__tsan_env){
        .options = o.options, .user_log_path = o.user_log_path, .exitcode = o.exitcode};
    return rc;
}

void tsan_env_free(struct tl__tsan_env *env)
{
    free(env->options);
    env->options = NULL;
}
