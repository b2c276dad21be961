/* Starting the services thread, loading the HTTP module next to the shim, and announcing where
 * the endpoint listens (report_dir/threadleak.PID.http, and stderr at verbosity >= 1 or when the
 * port was picked by the system). */
#include "endpoint.h"

#include "atomic_file.h"
#include "dump_listener.h"
#include "dump_protocol.h"
#include "endpoint_address.h"
#include "endpoint_routes.h"
#include "growth_sampler.h"
#include "http/http_module.h"
#include "live_stacks.h"
#include "services_watch.h"
#include "shim_state.h"
#include "toolbox.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define ADDRESS_TEXT_MAX 80
#define WATCH_IDLE_MS    250 /* how soon a pthread_exit'ed main thread is noticed */
#define WATCH_EXITING_MS 20  /* then, how soon the program's last thread is */

struct services {
    bool http;
    bool listener;
    bool growth; /* the endpoint runs, so the growth sampler does (growth_sampler.h) */
    struct endpoint_address address;
};

static struct services services;
static const struct tl__http_module *module;

static const struct tl__http_module *loaded_module(void)
{
    return __atomic_load_n(&module, __ATOMIC_ACQUIRE);
}

/* The module's server thread runs this; the routes get the module rather than ask for it, so
 * that calls go one way, from here to endpoint_routes.c. */
static void handle(const struct tl__http_request *request, struct tl__http_response *response)
{
    endpoint_routes_answer(request, response, loaded_module());
}

static const struct tl__http_host host_table = {
    .abi = TL_HTTP_MODULE_ABI,
    .handle = handle,
};

/* The module lives next to the shim (build/lib, or the install's libdir); a copied shim falls
 * back to the loader's search path. */
static void *open_module(char *err, size_t errlen)
{
    Dl_info self;
    char path[PATH_MAX];
    void *handle = NULL;
    live_stacks_enter_loader();
    if (dladdr((void *)endpoint_services_start, &self) && self.dli_fname) {
        const char *slash = strrchr(self.dli_fname, '/');
        int dir_len = slash ? (int)(slash - self.dli_fname) : 1;
        snprintf(path, sizeof path, "%.*s/%s", dir_len, slash ? self.dli_fname : ".",
                 TL_HTTP_MODULE_FILE);
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    if (!handle)
        handle = dlopen(TL_HTTP_MODULE_FILE, RTLD_NOW | RTLD_LOCAL);
    live_stacks_leave_loader();
    if (!handle)
        snprintf(err, errlen, "cannot load %s: %s", TL_HTTP_MODULE_FILE, dlerror());
    return handle;
}

static const struct tl__http_module *load_module(char *err, size_t errlen)
{
    void *handle = open_module(err, errlen);
    if (!handle)
        return NULL;
    tl__http_module_entry entry = (tl__http_module_entry)dlsym(handle, TL_HTTP_MODULE_SYMBOL);
    const struct tl__http_module *m = entry ? entry() : NULL;
    if (!m || m->abi != TL_HTTP_MODULE_ABI) {
        snprintf(err, errlen, "%s is not the module this shim expects (ABI %d)",
                 TL_HTTP_MODULE_FILE, TL_HTTP_MODULE_ABI);
        return NULL; /* left loaded: unloading libraries with threads is never safe */
    }
    return m;
}

/* A forked child must not hold the port its parent serves. */
static void close_listener_in_child(void)
{
    const struct tl__http_module *m = loaded_module();
    int fd = m ? m->listen_fd() : -1;
    if (fd >= 0)
        close(fd);
}

static int write_port_line(FILE *out, const void *ctx)
{
    return fprintf(out, "%s\n", (const char *)ctx) > 0 ? 0 : -1;
}

static void announce(const char *where)
{
    if (tl__cfg.report_dir[0]) {
        char name[64];
        snprintf(name, sizeof name, TL_ENDPOINT_FILE_FORMAT, (long)getpid());
        if (tl__write_file_atomic(tl__cfg.report_dir, name, write_port_line, where, NULL, 0) != 0)
            fprintf(stderr, "threadleak: cannot write %s/%s: %s\n", tl__cfg.report_dir, name,
                    strerror(errno));
    }
    if (tl__cfg.verbosity >= 1 || services.address.port == 0)
        fprintf(stderr, "threadleak: endpoint of process %ld at http://%s/\n", (long)getpid(),
                where);
}

static void start_endpoint(void)
{
    char err[PATH_MAX + 128];
    const struct tl__http_module *m = load_module(err, sizeof err);
    struct tl__http_limits limits = {
        .connections = ENDPOINT_MAX_CONNECTIONS,
        .per_ip = ENDPOINT_MAX_PER_ADDRESS,
        .timeout_s = ENDPOINT_TIMEOUT_S,
        .memory_per_conn = ENDPOINT_MEMORY_PER_CONN,
        .listen_backlog = ENDPOINT_LISTEN_BACKLOG,
    };
    unsigned port = 0;
    if (m && m->start(&host_table, (const struct sockaddr *)&services.address.addr,
                      services.address.addr_len, &limits, &port, err, sizeof err) != 0)
        m = NULL;
    if (!m) {
        fprintf(stderr, "threadleak: endpoint http=%s not started: %s\n", tl__cfg.http, err);
        return;
    }
    __atomic_store_n(&module, m, __ATOMIC_RELEASE);
    pthread_atfork(NULL, NULL, close_listener_in_child);
    services.growth = growth_sampler_start(tl__cfg.growth_sample_ms, tl__cfg.growth_window_s) == 0;
    char where[ADDRESS_TEXT_MAX];
    endpoint_address_format(&services.address, port, where, sizeof where);
    announce(where);
}

/* How long serve() may sleep: until the next growth sample is due, at most base_ms. */
static int sleep_ms(int base_ms)
{
    if (!services.growth)
        return base_ms;
    unsigned due = growth_sampler_tick(tl__monotonic_ns() / 1000000);
    return due < (unsigned)base_ms ? (int)due : base_ms;
}

/* Dump requests as they come, growth samples when they are due, and the process's end when main
 * called pthread_exit and only threadleak's threads are left (services_watch.h). Idle, this wakes
 * every WATCH_IDLE_MS for one read of /proc/self/stat, and every growth_sample_ms for a copy of
 * the registry. */
static void serve(void)
{
    int fd = services.listener ? dump_listener_fd() : -1;
    for (;;) {
        if (fd >= 0 && !dump_listener_still_installed()) {
            /* The program took the request signal for itself: say so in our name, which is what
             * `threadleak dump` checks before it signals (dump_protocol.h). */
            fd = -1;
            prctl(PR_SET_NAME, TL_SERVICES_THREAD, 0, 0, 0);
        }
        struct pollfd request = {.fd = fd, .events = POLLIN};
        bool leader_gone = services_leader_exited();
        if (leader_gone && services_only_own_threads_left(shim_current_tid()))
            exit(0); /* what glibc does when the program's last thread exits */
        int wait = sleep_ms(leader_gone ? WATCH_EXITING_MS : WATCH_IDLE_MS);
        int ready = poll(&request, fd >= 0 ? 1 : 0, wait);
        if (ready > 0 && !dump_listener_answer())
            fd = -1;
    }
}

static void *services_main(void *arg)
{
    (void)arg;
    shim_mark_current_thread_as_tool();
    prctl(PR_SET_NAME, services.listener ? TL_DUMP_LISTENER_THREAD : TL_SERVICES_THREAD, 0, 0, 0);
    if (services.http)
        start_endpoint();
    serve();
    return NULL;
}

/* The thread is created with the creator marked as a tool for the call, so that its record is a
 * tool's from the start (never counted as the program's), and detached: it is never joined. Every
 * signal is blocked in it and in what it creates. */
static int create_services_thread(void)
{
    sigset_t all, before;
    sigfillset(&all);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool was_tool = tl__self_is_tool;
    tl__self_is_tool = true;
    pthread_sigmask(SIG_SETMASK, &all, &before);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, services_main, NULL);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    tl__self_is_tool = was_tool;
    pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

void endpoint_services_start(void)
{
    char err[TL_HTTP_ADDR_MAX + 160];
    services.http = tl__cfg.http[0] != '\0';
    if (services.http && endpoint_address_parse(tl__cfg.http, &services.address, err, sizeof err)) {
        fprintf(stderr, "threadleak: %s\n", err);
        services.http = false;
    }
    services.listener = dump_listener_wanted(services.http) && dump_listener_install() == 0;
    if (!services.http && !services.listener)
        return;
    if (create_services_thread() != 0) {
        fprintf(stderr, "threadleak: cannot start the services thread: %s\n", strerror(errno));
        if (services.listener)
            dump_listener_uninstall();
    }
}
