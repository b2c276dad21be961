/* libthreadleak_http.so: the endpoint's HTTP server on libmicrohttpd, plus the pprof encoder.
 *
 * One internal polling thread (epoll) serves every connection in turn; it is created inside
 * MHD_start_daemon from the shim's tool thread, so the shim marks it as threadleak's own. A
 * request is answered by the shim's handle function, which builds the whole response in memory
 * first; this thread then only copies bytes to sockets. No request body is ever read: anything
 * but GET and HEAD is answered 405 at once. Limits (connections, per address, timeouts, header
 * memory) come from the shim. MHD's own logging stays off, so the host's stderr is untouched. */
#include "http_module.h"

#include "profile_pprof.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TL_HTTP_EXPORT __attribute__((visibility("default")))

static struct MHD_Daemon *daemon_handle;
static const struct tl__http_host *host;

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

/* Called once per request. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **request_state)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    /* Answered at the first call, headers only: a request body is never read (MHD discards it
     * and closes the connection). */
    *request_state = connection;
    *upload_data_size = 0;
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

static int start(const struct tl__http_host *shim, const struct sockaddr *addr, socklen_t addr_len,
                 const struct tl__http_limits *limits, unsigned *port, char *err, size_t errlen)
{
    (void)addr_len;
    if (daemon_handle) {
        snprintf(err, errlen, "the endpoint is already running");
        return -1;
    }
    host = shim;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    daemon_handle = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_CONNECTION_LIMIT, limits->connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        limits->per_ip, MHD_OPTION_CONNECTION_TIMEOUT, limits->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits->memory_per_conn, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        limits->listen_backlog, MHD_OPTION_END);
    if (!daemon_handle) {
        snprintf(err, errlen, "cannot listen (address in use, or not available)");
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
