/* Recognising ASan and LSan builds and composing ASAN_OPTIONS and LSAN_OPTIONS (asan_env.h). */
#include "asan_env.h"

#include <string.h>

enum tl__asan_build asan_build_of(const char *path, const struct tl__elf_info *info)
{
    if (info && strstr(info->sanitizers_needed, "libasan.so"))
        return TL_ASAN_BUILD_ASAN;
    if (info && strstr(info->sanitizers_needed, "liblsan.so"))
        return TL_ASAN_BUILD_LSAN;
    if (elf_dynsym_lookup(path, "__asan_init") == TL_DYNSYM_DEFINED)
        return TL_ASAN_BUILD_ASAN;
    if (elf_dynsym_lookup(path, "__lsan_init") == TL_DYNSYM_DEFINED)
        return TL_ASAN_BUILD_LSAN;
    return TL_ASAN_BUILD_NONE;
}

int asan_env_compose(const char *asan_user, const char *lsan_user, const char *report_dir,
                     enum tl__asan_build build, struct tl__asan_env *out, char *err, size_t errlen)
{
    *out = (struct tl__asan_env){0};
    if (san_options_compose("ASAN_OPTIONS", asan_user, report_dir, TL_ASAN_LOG_NAME,
                            TL_ASAN_DEFAULT_EXITCODE, &out->asan, err, errlen) != 0 ||
        san_options_compose("LSAN_OPTIONS", lsan_user, report_dir, TL_ASAN_LOG_NAME,
                            TL_LSAN_DEFAULT_EXITCODE, &out->lsan, err, errlen) != 0) {
        asan_env_free(out);
        return -1;
    }
    /* ASan parses ASAN_OPTIONS, then LSAN_OPTIONS into the same common flags; standalone LSan
     * reads only LSAN_OPTIONS. */
    if (out->lsan.user_exitcode || build == TL_ASAN_BUILD_LSAN)
        out->exitcode = out->lsan.exitcode;
    else
        out->exitcode = out->asan.exitcode;
    return 0;
}

void asan_env_free(struct tl__asan_env *env)
{
    san_options_free(&env->asan);
    san_options_free(&env->lsan);
}
