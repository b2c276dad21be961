/* The contract between the shim and libthreadleak_http.so, the HTTP module.
 *
 * The module holds everything heavy the endpoint needs: libmicrohttpd (with its gnutls chain),
 * protobuf-c and zlib. The shim dlopen's it (RTLD_LOCAL) only when `http=` is set, so a process
 * without the endpoint maps none of them. The module exports one symbol, threadleak_http_module,
 * returning its function table; the shim hands it a table of its own (struct tl__http_host) that
 * answers requests. Neither side links against the other.
 *
 * Bump TL_HTTP_MODULE_ABI on any change here: the shim refuses a module of another ABI. */
#ifndef THREADLEAK_HTTP_MODULE_H
#define THREADLEAK_HTTP_MODULE_H

#include <stddef.h>
#include <sys/socket.h>

#define TL_HTTP_MODULE_ABI    1
#define TL_HTTP_MODULE_SYMBOL "threadleak_http_module"
#define TL_HTTP_MODULE_FILE   "libthreadleak_http.so"

struct thread_profile;

/* A request, as the module parsed it. */
struct tl__http_request {
    const char *method; /* "GET", "HEAD", ... */
    const char *path;   /* without the query string */
    const char *host;   /* the Host header; NULL when absent */
    /* A query argument's value ("" for `?debug`), NULL when absent. */
    const char *(*arg)(void *ctx, const char *key);
    void *ctx;
};

/* The answer the shim builds, complete in memory before a byte is sent. */
struct tl__http_response {
    unsigned status;
    const char *content_type;        /* static string */
    const char *content_disposition; /* static string or NULL */
    const char *allow;               /* the Allow header for 405, else NULL */
    char *body;                      /* malloc'd (the module frees it); NULL for an empty body */
    size_t length;
};

/* The shim's side. handle runs in the module's server thread (a tool thread). */
struct tl__http_host {
    unsigned abi;
    void (*handle)(const struct tl__http_request *request, struct tl__http_response *response);
};

/* Resource limits of the server (see docs/endpoint.md for the values the shim uses). The module
 * keeps CLOSING_HEADROOM (16) fewer connections open than `connections`, and makes room for a
 * newcomer by closing the connection that has waited longest for its request head
 * (http_server.c, docs/reliability.md). */
struct tl__http_limits {
    unsigned connections;   /* at once, over all clients: bounds descriptors and memory */
    unsigned per_ip;        /* kept open from one address (at most the kept total) */
    unsigned timeout_s;     /* a connection without progress is closed after this; the request
                               head has a deadline of its own, 2 s, in the module */
    size_t memory_per_conn; /* request line and headers must fit: larger requests get 414 or 431 */
    unsigned listen_backlog;
};

/* The module's side. */
struct tl__http_module {
    unsigned abi;
    /* Starts the server on addr from the calling thread, which must be a tool thread: the server's
     * own thread is created from it and inherits the mark. Returns 0 and the bound port (useful
     * when addr asked for port 0), or -1 with a one-line reason in err. */
    int (*start)(const struct tl__http_host *host, const struct sockaddr *addr, socklen_t addr_len,
                 const struct tl__http_limits *limits, unsigned *port, char *err, size_t errlen);
    /* The listening socket, -1 when not started: a forked child closes it, so that the port is
     * not held by a process that does not serve it. */
    int (*listen_fd)(void);
    /* Gzipped profile.proto of p (reports/profile_pprof.h). 0, or -1. */
    int (*encode_pprof)(const struct thread_profile *p, unsigned char **out, size_t *len);
};

typedef const struct tl__http_module *(*tl__http_module_entry)(void);

#endif
