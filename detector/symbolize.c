/* Program counters to function, file:line and module, in-process, for the current process.
 *
 * libdw is dlopen'd RTLD_LOCAL on first use and called through pointers: the shim is preloaded
 * into other people's processes and must not drag elfutils into every one of them. Each lookup
 * address is resolved once and cached; every string handed out is interned, so it stays valid
 * until symbolizer_close. One mutex guards everything: this runs only when there is something to
 * report (at exit, from the CLI's endpoint), never in pthread_create's path or a signal handler,
 * so it may allocate and block. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "symbolize.h"

#include "stack_capture.h"
#include "toolbox.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char unknown_function[] = "??";

/* ---- libdw, resolved from a private handle ---- */

static struct {
    __typeof__(dwfl_begin) *begin;
    __typeof__(dwfl_end) *end;
    __typeof__(dwfl_report_begin) *report_begin;
    __typeof__(dwfl_report_end) *report_end;
    __typeof__(dwfl_linux_proc_report) *linux_proc_report;
    __typeof__(dwfl_addrmodule) *addrmodule;
    __typeof__(dwfl_module_getsymtab) *module_getsymtab;
    __typeof__(dwfl_module_getsym_info) *module_getsym_info;
    __typeof__(dwfl_module_getsrc) *module_getsrc;
    __typeof__(dwfl_lineinfo) *lineinfo;
    __typeof__(dwfl_module_info) *module_info;
    __typeof__(dwfl_linux_proc_find_elf) *linux_proc_find_elf;
    __typeof__(dwfl_standard_find_debuginfo) *standard_find_debuginfo;
    __typeof__(dwfl_build_id_find_debuginfo) *build_id_find_debuginfo;
    __typeof__(dwfl_offline_section_address) *offline_section_address;
    __typeof__(dwfl_module_getdwarf) *module_getdwarf;
    __typeof__(dwarf_get_units) *get_units;
    __typeof__(dwarf_ranges) *ranges;
    __typeof__(dwarf_getsrc_die) *getsrc_die;
    __typeof__(dwarf_linesrc) *linesrc;
    __typeof__(dwarf_lineno) *lineno;
    /* inlined calls */
    __typeof__(dwfl_module_addrdie) *module_addrdie;
    __typeof__(dwarf_getscopes) *getscopes;
    __typeof__(dwarf_getscopes_die) *getscopes_die;
    __typeof__(dwarf_tag) *tag;
    __typeof__(dwarf_attr) *attr;
    __typeof__(dwarf_attr_integrate) *attr_integrate;
    __typeof__(dwarf_formstring) *formstring;
    __typeof__(dwarf_formudata) *formudata;
    __typeof__(dwarf_diename) *diename;
    __typeof__(dwarf_getsrcfiles) *getsrcfiles;
    __typeof__(dwarf_filesrc) *filesrc;
} dw;

enum libdw_state { LIBDW_NOT_TRIED, LIBDW_LOADED, LIBDW_MISSING };

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

/* Everything below is guarded by `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static enum libdw_state libdw_state = LIBDW_NOT_TRIED;
static bool libdw_wanted = true;
static Dwfl *dwfl;
static bool dwfl_failed; /* no session could be started: use dladdr until symbolizer_close */
static bool debuginfod_configured;
static cxa_demangle_fn cxa_demangle;

static bool resolve_libdw_symbols(void *lib)
{
#define RESOLVE(field, name) (dw.field = (__typeof__(dw.field))dlsym(lib, name)) != NULL
    return RESOLVE(begin, "dwfl_begin") && RESOLVE(end, "dwfl_end") &&
           RESOLVE(report_begin, "dwfl_report_begin") && RESOLVE(report_end, "dwfl_report_end") &&
           RESOLVE(linux_proc_report, "dwfl_linux_proc_report") &&
           RESOLVE(addrmodule, "dwfl_addrmodule") &&
           RESOLVE(module_getsymtab, "dwfl_module_getsymtab") &&
           RESOLVE(module_getsym_info, "dwfl_module_getsym_info") &&
           RESOLVE(module_getsrc, "dwfl_module_getsrc") && RESOLVE(lineinfo, "dwfl_lineinfo") &&
           RESOLVE(module_info, "dwfl_module_info") &&
           RESOLVE(linux_proc_find_elf, "dwfl_linux_proc_find_elf") &&
           RESOLVE(standard_find_debuginfo, "dwfl_standard_find_debuginfo") &&
           RESOLVE(build_id_find_debuginfo, "dwfl_build_id_find_debuginfo") &&
           RESOLVE(offline_section_address, "dwfl_offline_section_address") &&
           RESOLVE(module_getdwarf, "dwfl_module_getdwarf") &&
           RESOLVE(get_units, "dwarf_get_units") && RESOLVE(ranges, "dwarf_ranges") &&
           RESOLVE(getsrc_die, "dwarf_getsrc_die") && RESOLVE(linesrc, "dwarf_linesrc") &&
           RESOLVE(lineno, "dwarf_lineno") && RESOLVE(module_addrdie, "dwfl_module_addrdie") &&
           RESOLVE(getscopes, "dwarf_getscopes") && RESOLVE(getscopes_die, "dwarf_getscopes_die") &&
           RESOLVE(tag, "dwarf_tag") && RESOLVE(attr, "dwarf_attr") &&
           RESOLVE(attr_integrate, "dwarf_attr_integrate") &&
           RESOLVE(formstring, "dwarf_formstring") && RESOLVE(formudata, "dwarf_formudata") &&
           RESOLVE(diename, "dwarf_diename") && RESOLVE(getsrcfiles, "dwarf_getsrcfiles") &&
           RESOLVE(filesrc, "dwarf_filesrc");
#undef RESOLVE
}

static bool load_libdw(void)
{
    if (libdw_state == LIBDW_NOT_TRIED) {
        stack_capture_loader_enter();                           /* fork-safe: see stack_capture.h */
        void *lib = stack_capture_open_privately("libdw.so.1"); /* NULL where it would hang */
        stack_capture_loader_leave();
        libdw_state = lib && resolve_libdw_symbols(lib) ? LIBDW_LOADED : LIBDW_MISSING;
        /* The handle is kept for the life of the process: unloading a library whose code other
         * threads might still be inside at exit is not worth the few hundred KiB. */
    }
    return libdw_state == LIBDW_LOADED;
}

/* dwfl_standard_find_debuginfo ends by asking the debuginfod servers in DEBUGINFOD_URLS over the
 * network (Debian sets it in login shells). A report at exit must never wait on the network inside
 * someone else's process, so with servers configured only the local build-id tree is searched. */
static int find_local_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                                Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                                GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    if (debuginfod_configured)
        return dw.build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                          debuglink_crc, debuginfo_file_name);
    return dw.standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                      debuglink_crc, debuginfo_file_name);
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
    return dw.linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

static int section_address(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                           const char *secname, GElf_Word shndx, const GElf_Shdr *shdr,
                           Dwarf_Addr *addr)
{
    return dw.offline_section_address(mod, userdata, modname, base, secname, shndx, shdr, addr);
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf,
    .find_debuginfo = find_local_debuginfo,
    .section_address = section_address,
};

static int forget_removed_module(Dwfl_Module *mod, void *userdata, const char *name,
                                 Dwarf_Addr start, void *arg);

/* Re-reads the maps; modules still mapped keep their debug info and indexes. The calling
 * thread's own /proc entry is used, not the process's: once main has called pthread_exit, the
 * thread group leader is a zombie whose /proc/PID/maps is empty. */
static bool report_modules(void)
{
    dw.report_begin(dwfl);
    int rc = dw.linux_proc_report(dwfl, (pid_t)syscall(SYS_gettid));
    return dw.report_end(dwfl, forget_removed_module, NULL) == 0 && rc == 0;
}

static Dwfl *session(void)
{
    if (dwfl || dwfl_failed || !libdw_wanted || !load_libdw())
        return dwfl;
    const char *urls = getenv("DEBUGINFOD_URLS");
    debuginfod_configured = urls && *urls;
    dwfl = dw.begin(&callbacks);
    if (dwfl && !report_modules()) {
        dw.end(dwfl);
        dwfl = NULL;
    }
    dwfl_failed = dwfl == NULL;
    return dwfl;
}

/* ---- interned strings: one copy of each, freed by symbolizer_close ---- */

static char **interned;
static size_t interned_cap; /* power of two, or 0 */
static size_t interned_count;

static bool grow_interned(void)
{
    size_t cap = interned_cap ? interned_cap * 2 : 256;
    char **table = calloc(cap, sizeof *table);
    if (!table)
        return false;
    for (size_t i = 0; i < interned_cap; i++) {
        if (!interned[i])
            continue;
        size_t j = tl__hash_string(TL__HASH_SEED, interned[i]) & (cap - 1);
        while (table[j])
            j = (j + 1) & (cap - 1);
        table[j] = interned[i];
    }
    free(interned);
    interned = table;
    interned_cap = cap;
    return true;
}

/* Returns the lasting copy of s, or NULL when s is NULL or memory ran out. */
static const char *intern(const char *s)
{
    if (!s)
        return NULL;
    if (interned_count * 2 >= interned_cap && !grow_interned())
        return NULL;
    size_t i = tl__hash_string(TL__HASH_SEED, s) & (interned_cap - 1);
    for (; interned[i]; i = (i + 1) & (interned_cap - 1)) {
        if (strcmp(interned[i], s) == 0)
            return interned[i];
    }
    interned[i] = strdup(s);
    if (interned[i])
        interned_count++;
    return interned[i];
}

static void free_interned(void)
{
    for (size_t i = 0; i < interned_cap; i++)
        free(interned[i]);
    free(interned);
    interned = NULL;
    interned_cap = interned_count = 0;
}

/* ---- cache: lookup address -> what is known about it ---- */

struct known_address {
    uintptr_t addr; /* 0: empty slot (address 0 is never looked up) */
    const char *function, *file, *module;
    int line;
};

static struct known_address *cache;
static size_t cache_cap; /* power of two, or 0 */
static size_t cache_count;

static size_t cache_slot(uintptr_t addr, size_t cap)
{
    return (size_t)((addr * 0x9E3779B97F4A7C15u) >> 20) & (cap - 1);
}

static const struct known_address *cache_find(uintptr_t addr)
{
    if (!cache_cap)
        return NULL;
    for (size_t i = cache_slot(addr, cache_cap); cache[i].addr; i = (i + 1) & (cache_cap - 1)) {
        if (cache[i].addr == addr)
            return &cache[i];
    }
    return NULL;
}

static bool grow_cache(void)
{
    size_t cap = cache_cap ? cache_cap * 2 : 512;
    struct known_address *table = calloc(cap, sizeof *table);
    if (!table)
        return false;
    for (size_t i = 0; i < cache_cap; i++) {
        if (!cache[i].addr)
            continue;
        size_t j = cache_slot(cache[i].addr, cap);
        while (table[j].addr)
            j = (j + 1) & (cap - 1);
        table[j] = cache[i];
    }
    free(cache);
    cache = table;
    cache_cap = cap;
    return true;
}

/* A full cache or a failed allocation only costs a repeated lookup later. */
static void cache_insert(const struct known_address *known)
{
    if (cache_count * 2 >= cache_cap && !grow_cache())
        return;
    size_t i = cache_slot(known->addr, cache_cap);
    while (cache[i].addr)
        i = (i + 1) & (cache_cap - 1);
    cache[i] = *known;
    cache_count++;
}

/* ---- per-module indexes, built on first need, dropped with the session ----
 * dwfl_module_addrinfo scans the whole symbol table on every call: 110 us per lookup in libc with
 * its debug symbols. A sorted copy of the function symbols makes that a binary search.
 * libdw 0.188 finds an address's compile unit only through .debug_aranges, which clang does not
 * emit by default: clang builds, clang -fsanitize=thread ones included, would get no file:line.
 * For a module whose line lookup fails, every compile unit's ranges are indexed once. */

struct function_symbol {
    GElf_Addr start;
    GElf_Xword size;  /* 0: unknown extent */
    const char *name; /* libdw's string, valid while the session lives */
    int rank;         /* lower wins among symbols at one address */
};

struct cu_range {
    Dwarf_Addr low, high; /* file addresses, [low, high) */
    Dwarf_Die cu;
};

struct module_index {
    Dwfl_Module *mod;
    struct function_symbol *symbols; /* by start, one per address */
    size_t symbol_count;
    bool cus_indexed;
    struct cu_range *ranges; /* by low; compile units do not overlap */
    size_t range_count;
    struct module_index *next;
};

static struct module_index *module_indexes;

static bool reserve(void **items, size_t *cap, size_t count, size_t item_size)
{
    if (count < *cap)
        return true;
    size_t grown_cap = *cap ? *cap * 2 : 64;
    void *grown = realloc(*items, grown_cap * item_size);
    if (!grown)
        return false;
    *items = grown;
    *cap = grown_cap;
    return true;
}

/* glibc gives one function several names ("__getpid" and "getpid", "_IO_fclose" and "fclose",
 * "strtol" and "strtoimax"). The one a user would have written wins: fewer leading underscores,
 * then global over weak over local, then the shorter name, then the alphabetically first. */
static int symbol_rank(const char *name, const GElf_Sym *sym)
{
    int underscores = name[0] == '_' ? (name[1] == '_' ? 2 : 1) : 0;
    int binding = GELF_ST_BIND(sym->st_info);
    int binding_rank = binding == STB_GLOBAL ? 0 : binding == STB_WEAK ? 1 : 2;
    return underscores * 4 + binding_rank;
}

static int compare_symbols(const void *a, const void *b)
{
    const struct function_symbol *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    size_t x_length = strlen(x->name), y_length = strlen(y->name);
    if (x_length != y_length)
        return x_length < y_length ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void index_symbols(struct module_index *index)
{
    size_t cap = 0;
    int total = dw.module_getsymtab(index->mod);
    for (int i = 1; i < total; i++) {
        GElf_Sym sym;
        GElf_Addr start;
        GElf_Word shndx;
        const char *name = dw.module_getsym_info(index->mod, i, &sym, &start, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (!name || !*name || shndx == SHN_UNDEF || start == 0 ||
            (type != STT_FUNC && type != STT_GNU_IFUNC))
            continue;
        if (!reserve((void **)&index->symbols, &cap, index->symbol_count, sizeof *index->symbols))
            break;
        index->symbols[index->symbol_count++] = (struct function_symbol){
            .start = start, .size = sym.st_size, .name = name, .rank = symbol_rank(name, &sym)};
    }
    qsort(index->symbols, index->symbol_count, sizeof *index->symbols, compare_symbols);
    size_t kept = 0; /* the best-ranked name of each address */
    for (size_t i = 0; i < index->symbol_count; i++) {
        if (kept == 0 || index->symbols[kept - 1].start != index->symbols[i].start)
            index->symbols[kept++] = index->symbols[i];
    }
    index->symbol_count = kept;
}

/* Index of the first symbol starting above addr. */
static size_t symbols_above(const struct module_index *index, GElf_Addr addr)
{
    size_t lo = 0, hi = index->symbol_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index->symbols[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The sized symbol containing addr; a few symbols back, for a local label inside a function; or
 * else the nearest symbol below when its size is unknown. */
static const char *function_at(const struct module_index *index, GElf_Addr addr)
{
    size_t i = symbols_above(index, addr);
    const char *unsized =
        i > 0 && index->symbols[i - 1].size == 0 ? index->symbols[i - 1].name : NULL;
    for (int steps = 0; i > 0 && steps < 8; i--, steps++) {
        const struct function_symbol *sym = &index->symbols[i - 1];
        if (sym->size != 0 && addr < sym->start + sym->size)
            return sym->name;
    }
    return unsized;
}

static int compare_range_starts(const void *a, const void *b)
{
    const struct cu_range *x = a, *y = b;
    return (x->low > y->low) - (x->low < y->low);
}

static void index_compile_units(struct module_index *index, Dwarf *dwarf)
{
    size_t cap = 0;
    bool room = true;
    Dwarf_CU *unit = NULL;
    struct cu_range range;
    while (room && dw.get_units(dwarf, unit, &unit, NULL, NULL, &range.cu, NULL) == 0) {
        Dwarf_Addr base;
        ptrdiff_t next = 0;
        while (room && (next = dw.ranges(&range.cu, next, &base, &range.low, &range.high)) > 0) {
            if (range.low >= range.high)
                continue;
            room = reserve((void **)&index->ranges, &cap, index->range_count, sizeof range);
            if (room)
                index->ranges[index->range_count++] = range;
        }
    }
    qsort(index->ranges, index->range_count, sizeof *index->ranges, compare_range_starts);
    index->cus_indexed = true;
}

static Dwarf_Die *cu_containing(const struct module_index *index, Dwarf_Addr addr)
{
    size_t lo = 0, hi = index->range_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index->ranges[mid].low <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= index->ranges[lo - 1].high)
        return NULL;
    return &index->ranges[lo - 1].cu;
}

static struct module_index *index_of(Dwfl_Module *mod)
{
    for (struct module_index *index = module_indexes; index; index = index->next) {
        if (index->mod == mod)
            return index;
    }
    struct module_index *index = calloc(1, sizeof *index);
    if (!index)
        return NULL;
    index->mod = mod;
    index_symbols(index);
    index->next = module_indexes;
    module_indexes = index;
    return index;
}

static Dwarf_Line *line_without_aranges(struct module_index *index, uintptr_t addr)
{
    Dwarf_Addr bias;
    Dwarf *dwarf = dw.module_getdwarf(index->mod, &bias);
    if (!dwarf)
        return NULL;
    if (!index->cus_indexed)
        index_compile_units(index, dwarf);
    Dwarf_Die *cu = cu_containing(index, addr - bias);
    return cu ? dw.getsrc_die(cu, addr - bias) : NULL;
}

static void free_index(struct module_index *index)
{
    free(index->symbols);
    free(index->ranges);
    free(index);
}

/* A removed module's index points into its freed ELF data, and a new module may get its address. */
static int forget_removed_module(Dwfl_Module *mod, void *userdata, const char *name,
                                 Dwarf_Addr start, void *arg)
{
    (void)userdata, (void)name, (void)start, (void)arg;
    for (struct module_index **link = &module_indexes; *link; link = &(*link)->next) {
        if ((*link)->mod == mod) {
            struct module_index *gone = *link;
            *link = gone->next;
            free_index(gone);
            break;
        }
    }
    return DWARF_CB_OK;
}

static void forget_module_indexes(void)
{
    while (module_indexes) {
        struct module_index *next = module_indexes->next;
        free_index(module_indexes);
        module_indexes = next;
    }
}

/* ---- describing one address ---- */

/* libstdc++ provides the demangler when the process has C++ in it; looked up again while absent
 * because a C++ library may be dlopen'd later. */
static const char *intern_demangled(const char *name)
{
    if (strncmp(name, "_Z", 2) != 0)
        return intern(name);
    if (!cxa_demangle)
        cxa_demangle = (cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
    int status = -1;
    char *demangled = cxa_demangle ? cxa_demangle(name, NULL, NULL, &status) : NULL;
    const char *result = intern(status == 0 && demangled ? demangled : name);
    free(demangled);
    return result;
}

/* Symbol tables with versions (libc's debug symtab) name functions "fclose@@GLIBC_2.2.5"; reports
 * and suppressions want the plain name. */
static const char *intern_function_name(const char *name)
{
    if (!name || !*name)
        return NULL;
    const char *version = strchr(name, '@');
    if (!version || version == name)
        return intern_demangled(name);
    char *bare = strndup(name, (size_t)(version - name));
    const char *result = bare ? intern_demangled(bare) : NULL;
    free(bare);
    return result;
}

/* libdw's module for addr, if addr is inside it (libdw answers with the last module for some
 * addresses beyond every mapping). */
static Dwfl_Module *module_covering(Dwfl *session, uintptr_t addr)
{
    Dwfl_Module *mod = dw.addrmodule(session, addr);
    Dwarf_Addr start = 0, end = 0;
    if (mod && !dw.module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL))
        return NULL;
    return mod && addr >= start && addr < end ? mod : NULL;
}

/* A library dlopen'd since the last report is in the dynamic linker's list but not in libdw's:
 * report again then, and only then, so that an unmapped address costs no /proc read. */
static Dwfl_Module *module_of(Dwfl *session, uintptr_t addr)
{
    Dwfl_Module *mod = module_covering(session, addr);
    Dl_info info;
    if (!mod && dladdr((void *)addr, &info) && info.dli_fname && report_modules())
        mod = module_covering(session, addr);
    return mod;
}

static const char *source_line(struct module_index *index, uintptr_t addr, int *line_number)
{
    Dwfl_Line *line = dw.module_getsrc(index->mod, addr);
    if (line)
        return dw.lineinfo(line, NULL, line_number, NULL, NULL, NULL);
    Dwarf_Line *dwarf_line = line_without_aranges(index, addr);
    if (!dwarf_line || dw.lineno(dwarf_line, line_number) != 0)
        return NULL;
    return dw.linesrc(dwarf_line, NULL, NULL);
}

static void describe_with_libdw(uintptr_t addr, struct known_address *known)
{
    Dwfl *session_now = session();
    Dwfl_Module *mod = session_now ? module_of(session_now, addr) : NULL;
    struct module_index *index = mod ? index_of(mod) : NULL;
    if (!index)
        return;
    known->module = intern(dw.module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
    known->function = intern_function_name(function_at(index, addr));
    int line_number = 0;
    const char *file = source_line(index, addr, &line_number);
    if (file && line_number > 0) {
        known->file = intern(file);
        known->line = known->file ? line_number : 0;
    }
}

/* dladdr knows only exported symbols, but needs no libdw and no debug info. */
static void describe_with_dladdr(uintptr_t addr, struct known_address *known)
{
    Dl_info info;
    if (!dladdr((void *)addr, &info))
        return;
    if (!known->function && info.dli_sname)
        known->function = intern_function_name(info.dli_sname);
    if (!known->module && info.dli_fname && *info.dli_fname)
        known->module = intern(info.dli_fname);
}

static struct known_address describe(uintptr_t addr)
{
    struct known_address known = {.addr = addr};
    if (addr == 0)
        return known;
    const struct known_address *cached = cache_find(addr);
    if (cached)
        return *cached;
    describe_with_libdw(addr, &known);
    if (!known.function || !known.module)
        describe_with_dladdr(addr, &known);
    /* An address in no module is not remembered: a library may be dlopen'd there later. */
    if (known.function || known.module)
        cache_insert(&known);
    return known;
}

/* ---- inlined calls ---- */

/* One function of an inline chain: innermost first, the real (out-of-line) function last. */
struct inline_step {
    const char *function;
    const char *call_file; /* where this function was inlined into its caller; NULL for the last */
    int call_line;
};

#define MAX_INLINE_DEPTH 16

static bool is_function_scope(Dwarf_Die *die)
{
    int tag = dw.tag(die);
    return tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram ||
           tag == DW_TAG_entry_point;
}

static const char *scope_function_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dw.formstring(dw.attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!name)
        name = dw.formstring(dw.attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (!name)
        name = dw.diename(die);
    return name ? intern_function_name(name) : NULL;
}

static Dwarf_Die *cu_for(Dwfl_Module *mod, struct module_index *index, uintptr_t addr,
                         Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dw.module_addrdie(mod, addr, bias);
    if (cu)
        return cu;
    /* clang emits no .debug_aranges, which dwfl_module_addrdie relies on. */
    Dwarf *dwarf = dw.module_getdwarf(mod, bias);
    if (!dwarf)
        return NULL;
    if (!index->cus_indexed)
        index_compile_units(index, dwarf);
    return cu_containing(index, addr - *bias);
}

/* The chain of functions inlined at addr, as eu-addr2line -i finds it. 0 without DWARF. */
static size_t inline_chain(uintptr_t addr, struct inline_step *steps, size_t cap)
{
    Dwfl *session_now = session();
    Dwfl_Module *mod = session_now ? module_of(session_now, addr) : NULL;
    struct module_index *index = mod ? index_of(mod) : NULL;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = index ? cu_for(mod, index, addr, &bias) : NULL;
    Dwarf_Die *innermost = NULL, *chain = NULL;
    if (!cu || dw.getscopes(cu, addr - bias, &innermost) <= 0)
        return 0;
    int depth = dw.getscopes_die(&innermost[0], &chain);
    free(innermost);
    Dwarf_Files *files = NULL;
    if (dw.getsrcfiles(cu, &files, NULL) != 0)
        files = NULL;
    size_t n = 0;
    for (int i = 0; i < depth && n < cap; i++) {
        if (!is_function_scope(&chain[i]))
            continue;
        steps[n] = (struct inline_step){.function = scope_function_name(&chain[i])};
        Dwarf_Attribute attr;
        Dwarf_Word value;
        if (dw.tag(&chain[i]) == DW_TAG_inlined_subroutine) {
            if (files && dw.formudata(dw.attr(&chain[i], DW_AT_call_file, &attr), &value) == 0)
                steps[n].call_file = intern(dw.filesrc(files, value, NULL, NULL));
            if (dw.formudata(dw.attr(&chain[i], DW_AT_call_line, &attr), &value) == 0)
                steps[n].call_line = (int)value;
        }
        n++;
        if (dw.tag(&chain[i]) != DW_TAG_inlined_subroutine)
            break;
    }
    free(chain);
    return n;
}

/* Fills out[] with pc's frames, inlined ones first; returns how many (at most cap, at least 1). */
static size_t expand_inlined(uintptr_t pc, uintptr_t lookup, const struct known_address *known,
                             struct tl__frame *out, size_t cap)
{
    struct inline_step steps[MAX_INLINE_DEPTH];
    size_t depth = known->file && load_libdw() ? inline_chain(lookup, steps, MAX_INLINE_DEPTH) : 0;
    const char *file = known->file;
    int line = known->line;
    size_t k = 0;
    for (size_t j = 0; j < depth && k < cap; j++, k++) {
        bool outermost = j + 1 == depth;
        /* The real function's name comes from the symbol table, as for frames without inlining. */
        const char *function = outermost && known->function ? known->function : steps[j].function;
        out[k] = (struct tl__frame){
            .pc = pc,
            .function = function ? function : unknown_function,
            .file = file,
            .line = file ? line : 0,
            .module = known->module,
            .inlined = !outermost,
        };
        file = steps[j].call_file;
        line = steps[j].call_line;
    }
    if (k == 0 && cap > 0) {
        out[k++] = (struct tl__frame){
            .pc = pc,
            .function = known->function ? known->function : unknown_function,
            .file = known->file,
            .line = known->line,
            .module = known->module,
        };
    }
    return k;
}

/* ---- the lock, and fork ---- */

/* Which thread holds `lock`, as the thread itself knows it: the child of a fork has only the
 * forking thread, and must tell its own symbolisation (interrupted by a signal handler that
 * forked) from one of a thread it does not have. */
static __thread bool holding __attribute__((tls_model("initial-exec")));

static void lock_tables(void)
{
    pthread_mutex_lock(&lock);
    holding = true;
}

static void unlock_tables(void)
{
    holding = false;
    pthread_mutex_unlock(&lock);
}

/* Symbolisation allocates, reads files and calls libdw: nothing an atfork prepare handler may
 * wait for (that would stall the host's fork for as long as a first look at a module takes). So
 * a fork is allowed to catch another thread inside; the child then finds `lock` held by nobody it
 * has, around tables that may be half-updated. It starts afresh with a new lock and empty tables,
 * and abandons the old ones, libdw session included, without freeing them: they may be
 * inconsistent. Strings handed out before stay valid, since only symbolizer_close frees them. */
void symbolizer_fork_child(void)
{
    if (holding)
        return; /* ours: it resumes once the handler that forked returns */
    if (pthread_mutex_trylock(&lock) == 0) {
        pthread_mutex_unlock(&lock);
        return;
    }
    static const pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&lock, &unlocked, sizeof unlocked);
    dwfl = NULL;
    dwfl_failed = false;
    cache = NULL;
    cache_cap = cache_count = 0;
    interned = NULL;
    interned_cap = interned_count = 0;
    module_indexes = NULL;
}

/* ---- public ---- */

size_t symbolize_frames_inlined(void *const *pcs, size_t n, bool return_addresses,
                                struct tl__frame *out, size_t cap)
{
    lock_tables();
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        uintptr_t pc = (uintptr_t)pcs[i];
        uintptr_t lookup = return_addresses && pc != 0 ? pc - 1 : pc;
        struct known_address known = describe(lookup);
        k += expand_inlined(pc, lookup, &known, out + k, cap - k);
    }
    unlock_tables();
    return k;
}

void symbolize_frames(void *const *pcs, size_t n, bool return_addresses, struct tl__frame *out)
{
    lock_tables();
    for (size_t i = 0; i < n; i++) {
        uintptr_t pc = (uintptr_t)pcs[i];
        /* A return address is the instruction after the call; the call itself is one byte back
         * at least, and that is the line a reader wants to see. */
        uintptr_t lookup = return_addresses && pc != 0 ? pc - 1 : pc;
        struct known_address known = describe(lookup);
        out[i] = (struct tl__frame){
            .pc = pc,
            .function = known.function ? known.function : unknown_function,
            .file = known.file,
            .line = known.line,
            .module = known.module,
        };
    }
    unlock_tables();
}

const char *symbolize_function(const void *pc)
{
    lock_tables();
    const char *function = describe((uintptr_t)pc).function;
    unlock_tables();
    return function ? function : unknown_function;
}

const char *symbolize_function_or_offset(const void *pc)
{
    lock_tables();
    struct known_address known = describe((uintptr_t)pc);
    const char *name = known.function;
    Dl_info info;
    if (!name && known.module && dladdr(pc, &info) && info.dli_fbase) {
        const char *slash = strrchr(known.module, '/');
        char text[PATH_MAX + 32];
        snprintf(text, sizeof text, "%s+0x%lx", slash ? slash + 1 : known.module,
                 (unsigned long)((uintptr_t)pc - (uintptr_t)info.dli_fbase));
        name = intern(text);
    }
    unlock_tables();
    return name ? name : unknown_function;
}

const char *symbolize_intern(const char *s)
{
    lock_tables();
    const char *copy = intern(s);
    unlock_tables();
    return copy ? copy : unknown_function;
}

static void close_locked(void)
{
    forget_module_indexes();
    if (dwfl)
        dw.end(dwfl);
    dwfl = NULL;
    dwfl_failed = false;
    cxa_demangle = NULL;
    free(cache);
    cache = NULL;
    cache_cap = cache_count = 0;
    free_interned();
}

void symbolizer_close(void)
{
    lock_tables();
    close_locked();
    unlock_tables();
}

void symbolizer_use_libdw(bool enabled)
{
    lock_tables();
    close_locked();
    libdw_wanted = enabled;
    unlock_tables();
}
