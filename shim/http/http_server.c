/* libthreadleak_http.so: the endpoint's HTTP server on libmicrohttpd, plus the pprof encoder.
 *
 * One internal polling thread (epoll) serves every connection in turn; it is created inside
 * MHD_start_daemon from the shim's tool thread, so the shim marks it as threadleak's own. A
 * request is answered by the shim's handle function, which builds the whole response in memory
 * first; this thread then only copies bytes to sockets. No request body is ever read: anything
 * but GET and HEAD is answered 405 at once. Limits (connections, per address, timeouts, header
 * memory) come from the shim. MHD's own logging goes to a buffer, read only when the server
 * cannot start, so the host's stderr is untouched.
 *
 * No client can starve the endpoint (docs/reliability.md). libmicrohttpd's timeout counts
 * inactivity, so a client that sends a byte a second keeps its slot for ever; and its limits
 * refuse a new connection when full. So this module keeps its own table of connections (every
 * callback runs in the polling thread: no lock) and decides at each new connection, in the
 * accept policy callback: a connection that has waited HEAD_DEADLINE_MS for its request head is
 * closed, and when the slots it keeps are taken, the one that has waited longest for its head
 * is closed for the newcomer. A connection whose request is being answered is never closed for
 * another; the inactivity timeout still bounds it. */
#include "http_module.h"

#include "profile_pprof.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TL_HTTP_EXPORT __attribute__((visibility("default")))

/* A request head (request line and headers) must be complete this long after the connection
 * was accepted, or after its last answer on a kept-alive connection; enforced when a slot is
 * needed. A real client sends its head in one write: 2 s is far above any it needs on a loaded
 * machine, and frees a slow client's slot within 2 s. */
#define HEAD_DEADLINE_MS 2000
/* Slots left free below libmicrohttpd's own limit, for the connections just closed for a
 * newcomer: they leave the server's count only on its next turn, and it accepts up to 11
 * connections a turn. Without them the newcomer would be refused by the very limit we freed a
 * slot under. */
#define CLOSING_HEADROOM 16
/* The endpoint's queries are one or two short arguments (?debug=2, ?format=json). libmicrohttpd
 * 0.9.75 indexes every argument in the connection's 32 KiB pool and, when that runs out (a few
 * hundred arguments), neither answers nor closes until the timeout: anything longer is refused
 * before it parses them, with 414. */
#define QUERY_MAX_BYTES 1024
#define QUERY_MAX_ARGS  16

#define TEXT_TYPE "text/plain; charset=utf-8"

struct slot {
    struct MHD_Connection *connection; /* NULL: free */
    int fd;
    sa_family_t family;        /* the client's address: AF_INET or AF_INET6 */
    unsigned char address[16]; /* its 4 or 16 bytes */
    uint64_t waiting_since_ms; /* waiting for a request head since; 0 while one is answered */
    bool closing;              /* shut down for a newcomer or past its deadline */
};

static struct MHD_Daemon *daemon_handle;
static const struct tl__http_host *host;
static struct slot *slots;
static unsigned slot_count, kept_max, per_address_max;
static pthread_t starter;
static char start_error[256];

/* Set by uri_log for a request whose query is refused; its address is the mark. */
static char query_too_long;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *query_arg(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static void free_body(void *body)
{
    free(body);
}

static enum MHD_Result send_response(struct MHD_Connection *connection,
                                     const struct tl__http_response *r)
{
    struct MHD_Response *response = MHD_create_response_from_buffer_with_free_callback(
        r->body ? r->length : 0, r->body, free_body);
    if (!response) {
        free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    if (r->content_disposition)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
                                r->content_disposition);
    if (r->allow)
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result result = MHD_queue_response(connection, r->status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result send_text(struct MHD_Connection *connection, unsigned status,
                                 const char *text)
{
    struct tl__http_response r = {.status = status, .content_type = TEXT_TYPE};
    r.body = strdup(text);
    r.length = r.body ? strlen(r.body) : 0;
    return send_response(connection, &r);
}

/* --- the connection table --- */

static struct slot *slot_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* The address bytes of a, in the slot's form; false for a family a client cannot have here. */
static bool address_key(const struct sockaddr *a, sa_family_t *family, unsigned char key[16])
{
    *family = a->sa_family;
    memset(key, 0, 16);
    if (a->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, a, sizeof in);
        memcpy(key, &in.sin_addr, sizeof in.sin_addr);
        return true;
    }
    if (a->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, a, sizeof in6);
        memcpy(key, &in6.sin6_addr, sizeof in6.sin6_addr);
        return true;
    }
    return false;
}

static bool same_address(const struct slot *s, sa_family_t family, const unsigned char key[16])
{
    return s->family == family && memcmp(s->address, key, sizeof s->address) == 0;
}

/* The server sees the end of the stream on its next turn and closes the connection itself: the
 * socket stays libmicrohttpd's to close. */
static void close_for_newcomer(struct slot *s)
{
    shutdown(s->fd, SHUT_RDWR);
    s->closing = true;
}

/* Among the open connections waiting for a head (from the address family/key, or from anywhere
 * when key is NULL), the one that has waited longest. */
static struct slot *longest_waiting(sa_family_t family, const unsigned char *key)
{
    struct slot *oldest = NULL;
    for (unsigned i = 0; i < slot_count; i++) {
        struct slot *s = &slots[i];
        if (!s->connection || s->closing || s->waiting_since_ms == 0 ||
            (key && !same_address(s, family, key)))
            continue;
        if (!oldest || s->waiting_since_ms < oldest->waiting_since_ms)
            oldest = s;
    }
    return oldest;
}

/* Whether the newcomer gets a slot: room is made by closing a connection still waiting for its
 * head; it is refused only when every slot it could take is answering a request. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *address, socklen_t len)
{
    (void)cls;
    (void)len;
    sa_family_t family;
    unsigned char key[16];
    if (!address_key(address, &family, key))
        return MHD_NO;
    uint64_t now = now_ms();
    unsigned open = 0, from_address = 0;
    for (unsigned i = 0; i < slot_count; i++) {
        struct slot *s = &slots[i];
        if (!s->connection || s->closing)
            continue;
        if (s->waiting_since_ms != 0 && now - s->waiting_since_ms >= HEAD_DEADLINE_MS) {
            close_for_newcomer(s);
            continue;
        }
        open++;
        from_address += same_address(s, family, key);
    }
    if (from_address >= per_address_max) {
        struct slot *s = longest_waiting(family, key);
        if (!s)
            return MHD_NO;
        close_for_newcomer(s);
        open--;
    }
    if (open >= kept_max) {
        struct slot *s = longest_waiting(AF_UNSPEC, NULL);
        if (!s)
            return MHD_NO;
        close_for_newcomer(s);
    }
    return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    struct slot *s = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (s)
            *s = (struct slot){0};
        return;
    }
    for (unsigned i = 0; i < slot_count && !s; i++) {
        if (!slots[i].connection)
            s = &slots[i];
    }
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *peer =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!s || !fd || !peer)
        return; /* untracked: never closed for another, still under the timeout */
    *s =
        (struct slot){.connection = connection, .fd = fd->connect_fd, .waiting_since_ms = now_ms()};
    address_key(peer->client_addr, &s->family, s->address);
    *socket_context = s;
}

/* A kept-alive connection waits for its next head from now. */
static void on_completed(void *cls, struct MHD_Connection *connection, void **request_state,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)request_state;
    (void)code;
    struct slot *s = slot_of(connection);
    if (s)
        s->waiting_since_ms = now_ms();
}

/* --- the request --- */

/* Called with the whole request target before libmicrohttpd parses its query. A query too
 * long is cut at its start, in the request line's buffer that libmicrohttpd itself clobbers next
 * (it writes '\0' over the '?'), so that it indexes no argument, and the request is marked for
 * 414. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void)cls;
    (void)connection;
    char *query = strchr(uri, '?');
    if (!query)
        return NULL;
    size_t bytes = strlen(query + 1), args = 1;
    for (const char *p = query + 1; *p && args <= QUERY_MAX_ARGS; p++)
        args += *p == '&';
    if (bytes <= QUERY_MAX_BYTES && args <= QUERY_MAX_ARGS)
        return NULL;
    query[1] = '\0';
    return &query_too_long;
}

struct host_count {
    unsigned n;
};

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    (void)value;
    struct host_count *count = cls;
    count->n += strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0;
    return MHD_YES;
}

/* RFC 7230, 5.4: a request with more than one Host, or an HTTP/1.1 request without one, is
 * answered 400. libmicrohttpd keeps the first of two, which the loopback check would then judge
 * alone. */
static bool host_headers_ok(struct MHD_Connection *connection, const char *version)
{
    struct host_count count = {0};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, count_host, &count);
    if (count.n > 1)
        return false;
    bool http_1_1_or_later = strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, "HTTP/1.0");
    return count.n == 1 || !http_1_1_or_later;
}

/* Called once per request. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **request_state)
{
    (void)cls;
    (void)upload_data;
    /* Answered at the first call, headers only: a request body is never read (MHD discards it
     * and closes the connection). */
    *upload_data_size = 0;
    struct slot *s = slot_of(connection);
    if (s)
        s->waiting_since_ms = 0; /* answering: never closed for a newcomer */
    if (*request_state == &query_too_long)
        return send_text(connection, MHD_HTTP_URI_TOO_LONG,
                         "threadleak: query too long (the endpoint takes ?debug= and ?format=)\n");
    if (!host_headers_ok(connection, version))
        return send_text(connection, MHD_HTTP_BAD_REQUEST,
                         "threadleak: a request needs one Host header (HTTP/1.0: at most one)\n");
    struct tl__http_request request = {
        .method = method,
        .path = url,
        .host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
        .arg = query_arg,
        .ctx = connection,
    };
    struct tl__http_response response = {0};
    host->handle(&request, &response);
    return send_response(connection, &response);
}

/* --- start --- */

/* libmicrohttpd says why it cannot start only through its log: keep what it says in the
 * starting thread (the polling thread's messages are dropped, so nothing races on the buffer). */
static void on_log(void *cls, const char *format, va_list ap)
{
    (void)cls;
    if (!pthread_equal(pthread_self(), starter))
        return;
    vsnprintf(start_error, sizeof start_error, format, ap);
    size_t len = strlen(start_error);
    while (len > 0 && (start_error[len - 1] == '\n' || start_error[len - 1] == '.'))
        start_error[--len] = '\0';
}

/* What libmicrohttpd said, in the endpoint's terms. Its bind message names the port it was
 * given, which is 0 with MHD_OPTION_SOCK_ADDR: only the system's reason is kept. Its thread
 * message for EAGAIN does not name the error. */
static void explain_start_failure(int error, char *err, size_t errlen)
{
    const char *reason = strrchr(start_error, ':');
    reason = reason ? reason + 2 : start_error;
    if (strstr(start_error, "bind"))
        snprintf(err, errlen, "cannot listen: %s", reason);
    else if (strstr(start_error, "thread") && strstr(start_error, "system limit"))
        snprintf(err, errlen,
                 "cannot create the server's thread: %s (the limit on threads is reached, "
                 "RLIMIT_NPROC or kernel.threads-max, or memory is short)",
                 strerror(EAGAIN));
    else if (strstr(start_error, "thread"))
        snprintf(err, errlen, "cannot create the server's thread: %s", reason);
    else if (start_error[0])
        snprintf(err, errlen, "libmicrohttpd cannot start: %s", start_error);
    else /* its messages compiled out: the last error is all there is */
        snprintf(err, errlen, "libmicrohttpd cannot start (%s)", strerror(error));
}

static int start(const struct tl__http_host *shim, const struct sockaddr *addr, socklen_t addr_len,
                 const struct tl__http_limits *limits, unsigned *port, char *err, size_t errlen)
{
    (void)addr_len;
    if (daemon_handle) {
        snprintf(err, errlen, "the endpoint is already running");
        return -1;
    }
    host = shim;
    slot_count = limits->connections;
    kept_max = slot_count > 2 * CLOSING_HEADROOM ? slot_count - CLOSING_HEADROOM : slot_count / 2;
    per_address_max = limits->per_ip < kept_max ? limits->per_ip : kept_max;
    slots = calloc(slot_count, sizeof *slots);
    if (!slots) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    starter = pthread_self();
    start_error[0] = '\0';
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The per-address limit is this module's (on_accept): libmicrohttpd's would refuse a
     * newcomer before on_accept could make room for it. */
    daemon_handle = MHD_start_daemon(
        flags, 0, on_accept, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_CONNECTION_LIMIT, limits->connections, MHD_OPTION_CONNECTION_TIMEOUT,
        limits->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits->memory_per_conn,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, limits->listen_backlog, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_END);
    if (!daemon_handle) {
        explain_start_failure(errno, err, errlen);
        free(slots);
        slots = NULL;
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return 0;
}
static int listen_fd(void)
{
    if (!daemon_handle)
        return -1;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_LISTEN_FD);
    return info ? info->listen_fd : -1;
}

static const struct tl__http_module module = {
    .abi = TL_HTTP_MODULE_ABI,
    .start = start,
    .listen_fd = listen_fd,
    .encode_pprof = profile_pprof_encode,
};

TL_HTTP_EXPORT const struct tl__http_module *threadleak_http_module(void)
{
    return &module;
}
