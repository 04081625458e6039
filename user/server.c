// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libmicrohttpd in a small thread pool. Limits keep hostile or numerous
 * clients from starving the agent: a connection cap, a per-IP cap, an idle
 * timeout, a deadline to send a whole request, and a per-connection memory
 * limit that makes MHD refuse oversized request lines and headers. Server
 * threads run at a lower priority than the collector. Large bodies
 * (/metrics, the pod list) come from the render cache (render.c); every
 * other reply is made here from the snapshot, by the rules of snapshot.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "access.h"
#include "api.h"
#include "gzip.h"
#include "http_accept.h"
#include "prom.h"
#include "render.h"
#include "server.h"
#include "snapshot.h"
#include "util.h"

#define SERVER_THREADS		  2
#define SERVER_MAX_CONNECTIONS	  128
#define SERVER_MAX_PER_IP	  48 /* 32 kept-alive clients, and room for churn */
#define SERVER_IDLE_TIMEOUT_S	  10
#define SERVER_CONN_MEMORY	  (32 * 1024) /* request line + headers must fit */
#define SERVER_BACKLOG		  128
#define SERVER_NICE		  5    /* below the collector */
#define GZIP_MIN_BYTES		  1024 /* smaller JSON bodies go plain */
#define SERVER_REQUEST_DEADLINE_S 15.0 /* to send a whole request line and headers */
#define REAP_EVERY_S		  0.5

/*
 * An open connection, for the request deadline: libmicrohttpd's timeout is
 * an idle timeout, so a client that dribbles a header byte now and then
 * would hold its slot forever. The reaper thread shuts down the
 * socket of a connection that has been receiving a request for longer
 * than the deadline. Entries leave the list (under conns_lock) in the
 * CLOSED notification, which libmicrohttpd sends before it closes the fd.
 */
struct conn {
	struct conn *prev, *next;
	int fd;
	_Atomic double waiting_since; /* monotonic s; 0 while a request is handled */
	struct access_conn *access;   /* its TLS context and the current request's check */
};

struct server {
	struct MHD_Daemon *mhd;
	struct access *access; /* TLS and auth from --web-config-file */
	int port;
	atomic_bool ready;
	struct render_cache *cache;
	pthread_t reaper;
	bool reaper_started;
	pthread_mutex_t wake_lock; /* guards stopping */
	pthread_cond_t wake_cond;
	bool stopping;
	pthread_mutex_t conns_lock;
	struct conn conns; /* list head */
};

static const char index_text[] =
	"wattlet: per-process, per-pod CPU time and energy.\n"
	"\n"
	"GET /metrics                      Prometheus text 0.0.4, or OpenMetrics 1.0 by Accept;\n"
	"                                  gzip by Accept-Encoding\n"
	"GET /api/v1/node                  node totals and agent state\n"
	"GET /api/v1/pods[?namespace=NS]   pods with their containers\n"
	"GET /api/v1/pods/NS/NAME          one pod\n"
	"GET /api/v1/namespaces            namespaces\n"
	"GET /api/v1/containers[?namespace=NS&pod=NAME]\n"
	"GET /api/v1/processes[?namespace=NS&pod=NAME&limit=N&sort=power|energy|cpu]\n"
	"GET /healthz                      the process is alive\n"
	"GET /readyz                       programs attached and one collection done\n"
	"\n"
	"Units are in field and metric names; see docs/api.md.\n";

/* Shut down connections that have been receiving one request for too long. */
static void conns_reap(struct server *s)
{
	double now = monotonic_s(), since;
	struct conn *k;

	pthread_mutex_lock(&s->conns_lock);
	for (k = s->conns.next; k != &s->conns; k = k->next) {
		since = atomic_load(&k->waiting_since);
		if (since && now - since > SERVER_REQUEST_DEADLINE_S)
			shutdown(k->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&s->conns_lock);
}

/* Enforce the request deadline every REAP_EVERY_S until the server stops. */
static void *reaper_thread(void *arg)
{
	struct server *s = arg;
	struct timespec ts;

	setpriority(PRIO_PROCESS, gettid(), SERVER_NICE);
	pthread_mutex_lock(&s->wake_lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->wake_lock);
		conns_reap(s);
		ts = timespec_of(wall_clock_s() + REAP_EVERY_S);
		pthread_mutex_lock(&s->wake_lock);
		if (!s->stopping)
			pthread_cond_timedwait(&s->wake_cond, &s->wake_lock, &ts);
	}
	pthread_mutex_unlock(&s->wake_lock);
	return NULL;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status,
			       struct MHD_Response *r, const char *type)
{
	struct conn *k = conn_of(c);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	access__decorate(k ? k->access : NULL, r); /* last: it may replace the above */
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	return respond(
		c, status,
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT),
		"text/plain; charset=utf-8");
}

static bool wants_gzip(struct MHD_Connection *c)
{
	return accept__gzip(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

/* A response for a malloc'd body (taken), gzipped when it is large and the client allows. */
static struct MHD_Response *response_buffer(struct MHD_Connection *c, char *body, size_t len)
{
	struct MHD_Response *r;
	char *gz;
	size_t gzlen;

	if (len < GZIP_MIN_BYTES || !wants_gzip(c) || gzip__compress(body, len, &gz, &gzlen))
		return MHD_create_response_from_buffer_with_free_callback(len, body, free);
	free(body);
	r = MHD_create_response_from_buffer_with_free_callback(gzlen, gz, free);
	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	}
	return r;
}

/* Send a malloc'd JSON text (taken). */
static enum MHD_Result respond_json_text(struct MHD_Connection *c, unsigned int status, char *text,
					 size_t len)
{
	if (!text)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return respond(c, status, response_buffer(c, text, len), "application/json");
}

/* Send a value made for this reply (stolen) as JSON. */
static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return respond_json_text(c, status, s, s ? strlen(s) : 0);
}

/* A response that sends a cached body and drops its reference when done (NULL on failure). */
static struct MHD_Response *response_body(struct body *b)
{
	struct MHD_Response *r;

	if (!b)
		return NULL;
	r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, body__put, b);
	if (!r)
		body__put(b);
	return r;
}

static enum MHD_Result serve_metrics(struct server *s, struct MHD_Connection *c)
{
	const char *accept =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum prom_format fmt = accept__openmetrics(accept) ? PROM_OPENMETRICS : PROM_TEXT;
	enum render_body which = fmt == PROM_OPENMETRICS ? RENDER_METRICS_OM : RENDER_METRICS_TEXT;
	const struct snapshot *snap = snapshot__get();
	bool gz = wants_gzip(c);
	struct MHD_Response *r;

	if (!snap)
		return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no collection yet\n");
	r = response_body(render_cache__get(s->cache, which + gz, snap, true));
	snapshot__put(snap);
	if (!r)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return respond(c, MHD_HTTP_OK, r, prom__content_type(fmt));
}

static enum MHD_Result arg_collect(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct api_request *req = cls;

	if (req->nr_args < API_MAX_ARGS)
		req->args[req->nr_args] = (struct api_arg){ .key = key, .val = value };
	req->nr_args++;
	return MHD_YES;
}

/* A cached JSON body (the unfiltered pod list: large, asked for often); which is the plain one. */
static enum MHD_Result respond_cached(struct server *s, struct MHD_Connection *c,
				      enum render_body which, const struct snapshot *snap)
{
	bool gz = wants_gzip(c);
	struct MHD_Response *r = response_body(render_cache__get(s->cache, which + gz, snap, true));

	if (!r)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return respond(c, MHD_HTTP_OK, r, "application/json");
}

static enum MHD_Result serve_api(struct server *s, struct MHD_Connection *c, const char *url)
{
	struct api_request req = { .path = url };
	const struct snapshot *snap;
	struct api_reply rep = {};
	enum MHD_Result ret;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_collect, &req);
	snap = snapshot__get();
	if (snap && !req.nr_args && !strcmp(url, "/api/v1/pods")) {
		ret = respond_cached(s, c, RENDER_PODS, snap);
	} else {
		api__handle(snap ? snap->doc : NULL, &req, &rep);
		ret = respond_json_text(c, rep.status, rep.body, rep.len);
	}
	snapshot__put(snap);
	return ret;
}

static enum MHD_Result serve_readyz(struct server *s, struct MHD_Connection *c)
{
	const struct snapshot *snap = snapshot__get();
	bool published = snap != NULL, ready = atomic_load(&s->ready) && published;

	snapshot__put(snap);
	if (ready)
		return respond_json(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"));
	return respond_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    json_pack("{s:s, s:s}", "status", "not ready", "reason",
				      published ? "programs not attached" : "no collection yet"));
}

/* Whether the request announces a body ("Content-Length: 0" is none). */
static bool has_body(struct MHD_Connection *c)
{
	const char *len =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (len && strcmp(len, "0")) ||
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	static int headers_in; /* *req_cls after the first call */
	struct server *s = cls;
	struct conn *k = conn_of(c);
	enum MHD_Result ret;

	/*
	 * libmicrohttpd 0.9.75 closes the connection after a response queued
	 * in the first call, which comes as soon as the headers are in: answer
	 * a GET from the second call, so the connection stays open for the
	 * next request. What is refused anyway is refused at once, body unread.
	 */
	if (!*req_cls) {
		if (strcmp(method, MHD_HTTP_METHOD_GET))
			return respond_json(
				c, MHD_HTTP_METHOD_NOT_ALLOWED,
				api__error(MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served"));
		if (has_body(c))
			return respond_json(
				c, MHD_HTTP_BAD_REQUEST,
				api__error(MHD_HTTP_BAD_REQUEST, "a GET carries no body"));
		*req_cls = &headers_in;
		return MHD_YES;
	}
	if (*upload_data_size) { /* not announced, so not expected; dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* The request is in: the deadline stops until it is answered. */
	if (k)
		atomic_store(&k->waiting_since, 0);
	switch (access__request(s->access, k ? k->access : NULL, c, url, &ret)) {
	case ACCESS_GRANTED:
		break;
	default:
		return ret;
	}
	if (!strcmp(url, "/metrics"))
		return serve_metrics(s, c);
	if (!strncmp(url, "/api/", 5))
		return serve_api(s, c, url);
	if (!strcmp(url, "/healthz"))
		return respond_json(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
	if (!strcmp(url, "/readyz"))
		return serve_readyz(s, c);
	if (!strcmp(url, "/"))
		return respond_text(c, MHD_HTTP_OK, index_text);
	return respond_json(c, MHD_HTTP_NOT_FOUND,
			    api__error(MHD_HTTP_NOT_FOUND, "no such endpoint '%.64s'", url));
}

/* A request was answered (or abandoned): the wait for the next one starts. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *k = conn_of(c);

	if (k) {
		access__request_done(k->access);
		atomic_store(&k->waiting_since, monotonic_s());
	}
}

static void conn_started(struct server *s, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn *k;

	if (!ci)
		return;
	k = calloc(1, sizeof(*k));
	if (k)
		k->access = access__conn_open(s->access, c);
	if (!k || !k->access) {
		/* A TLS session without our context would skip the client-certificate policy. */
		if (access__tls(s->access))
			shutdown(ci->connect_fd, SHUT_RDWR);
		if (!k)
			return;
	}
	k->fd = ci->connect_fd;
	atomic_init(&k->waiting_since, monotonic_s());
	pthread_mutex_lock(&s->conns_lock);
	k->next = s->conns.next;
	k->prev = &s->conns;
	k->next->prev = k;
	s->conns.next = k;
	pthread_mutex_unlock(&s->conns_lock);
	*socket_context = k;
}

static void conn_closed(struct server *s, void **socket_context)
{
	struct conn *k = *socket_context;

	if (!k)
		return;
	pthread_mutex_lock(&s->conns_lock);
	k->prev->next = k->next;
	k->next->prev = k->prev;
	pthread_mutex_unlock(&s->conns_lock);
	access__conn_close(k->access);
	free(k);
	*socket_context = NULL;
}

static __thread bool thread_niced;

/* In the serving thread: track the connection, and lower the thread's priority once. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(s, c, socket_context);
	else
		conn_closed(s, socket_context);
	if (thread_niced)
		return;
	thread_niced = true;
	setpriority(PRIO_PROCESS, gettid(), SERVER_NICE);
}

/* A socket on the address options parsed, bound here so a busy port fails with its errno. */
static int listen_open(const struct options *o)
{
	const struct sockaddr *sa = (const struct sockaddr *)&o->listen_addr;
	int fd, one = 1, err;

	if (!o->listen_addr_len)
		return -EDESTADDRREQ;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, o->listen_addr_len) || listen(fd, SERVER_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int listen_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static struct server *server_alloc(const struct options *o)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	atomic_init(&s->ready, false);
	pthread_mutex_init(&s->wake_lock, NULL);
	pthread_cond_init(&s->wake_cond, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	s->conns.next = s->conns.prev = &s->conns;
	return s;
}

static void server_free(struct server *s)
{
	render_cache__stop(s->cache);
	pthread_cond_destroy(&s->wake_cond);
	pthread_mutex_destroy(&s->wake_lock);
	pthread_mutex_destroy(&s->conns_lock);
	access__free(s->access);
	free(s);
}

static void reaper_stop(struct server *s)
{
	if (!s->reaper_started)
		return;
	pthread_mutex_lock(&s->wake_lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake_cond);
	pthread_mutex_unlock(&s->wake_lock);
	pthread_join(s->reaper, NULL);
	s->reaper_started = false;
}

int server__start(struct server **out, const struct options *o)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	struct server *s;
	char why[512];
	int fd, err;

	*out = NULL;
	s = server_alloc(o);
	if (!s)
		return -ENOMEM;
	err = render_cache__start(&s->cache, o->process_metrics_top);
	if (err) {
		fprintf(stderr, "wattlet: cannot start the HTTP renderer: %s\n", strerror(-err));
		goto out_free;
	}
	err = access__new(&s->access, o->web_config_file, why, sizeof(why));
	if (err) {
		fprintf(stderr, "wattlet: %s\n", why);
		goto out_free;
	}
	flags |= access__mhd_flags(s->access);
	fd = listen_open(o);
	if (fd < 0) {
		err = fd;
		fprintf(stderr, "wattlet: cannot listen on '%s': %s\n", o->listen, strerror(-err));
		goto out_free;
	}
	s->port = listen_port(fd);
	if (o->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (o->verbose)
		flags |= MHD_USE_ERROR_LOG;
	/* one option and its value per line, which clang-format would pack */
	/* clang-format off */
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handle_request, s,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)SERVER_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONN_MEMORY,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_ARRAY, access__mhd_options(s->access),
		MHD_OPTION_END);
	/* clang-format on */
	if (!s->mhd) {
		err = -EIO;
		fprintf(stderr, "wattlet: cannot start the HTTP server on '%s'\n", o->listen);
		close(fd);
		goto out_free;
	}
	err = -pthread_create(&s->reaper, NULL, reaper_thread, s);
	if (err) {
		fprintf(stderr, "wattlet: cannot start the HTTP reaper: %s\n", strerror(-err));
		goto out_stop;
	}
	s->reaper_started = true;
	*out = s;
	return 0;
out_stop:
	access__stop(s->access);
	MHD_stop_daemon(s->mhd);
out_free:
	server_free(s);
	return err;
}

void server__set_ready(struct server *s, bool ready)
{
	if (s)
		atomic_store(&s->ready, ready);
}

int server__port(const struct server *s)
{
	return s ? s->port : -1;
}

void server__stop(struct server *s)
{
	if (!s)
		return;
	access__stop(s->access); /* resumes requests waiting on bcrypt */
	MHD_stop_daemon(s->mhd);
	reaper_stop(s);
	server_free(s);
}
