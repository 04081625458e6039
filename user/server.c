// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libmicrohttpd in a small thread pool. Limits keep hostile or numerous
 * clients from starving the agent: a connection cap, a per-IP cap, an idle
 * timeout, a deadline to send a whole request, and a per-connection memory
 * limit that makes MHD refuse oversized request lines and headers. Server threads run at a lower
 * priority than the collector. Large bodies (/metrics, the pod list) are
 * rendered once per published document by a pre-render thread, and
 * requests share the bytes.
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
#include "api.h"
#include "gzip.h"
#include "http_accept.h"
#include "prom.h"
#include "server.h"
#include "snapshot.h"
#include "util.h"

#define SERVER_THREADS		2
#define SERVER_MAX_CONNECTIONS	128
#define SERVER_MAX_PER_IP	32
#define SERVER_IDLE_TIMEOUT_S	10
#define SERVER_CONN_MEMORY	(32 * 1024)	/* request line + headers must fit */
#define SERVER_BACKLOG		128
#define SERVER_NICE		5		/* below the collector */
#define PRERENDER_POLL_MS	20
#define GZIP_MIN_BYTES		1024		/* smaller JSON bodies go plain */
#define SERVER_REQUEST_DEADLINE_MS 15000	/* to send a whole request line and headers */
#define REAP_EVERY_MS		500

/* Rendered bytes shared by the cache and the responses that send them. */
struct blob {
	atomic_int refs;
	size_t len;
	char *data;
};

/*
 * A rendered body and the document it was rendered from. lock guards the
 * two pointers and is held only to read or swap them; render_lock makes
 * one thread at a time render this body.
 */
struct cache {
	pthread_mutex_t lock;
	pthread_mutex_t render_lock;
	json_t *doc;
	struct blob *blob;
	atomic_bool wanted;	/* requested once: pre-render every new document */
};

/* Each gzip body directly follows its plain one: plain + 1 == gzip. */
enum cache_id {
	CACHE_TEXT,
	CACHE_TEXT_GZ,
	CACHE_OM,
	CACHE_OM_GZ,
	CACHE_PODS,		/* /api/v1/pods with no filter */
	CACHE_PODS_GZ,
	NR_CACHES,
};

/*
 * An open connection, for the request deadline: libmicrohttpd's timeout is
 * an idle timeout, so a client that dribbles a header byte now and then
 * would hold its slot forever. The pre-render thread shuts down the
 * socket of a connection that has been receiving a request for longer
 * than the deadline. Entries leave the list (under conns_lock) in the
 * CLOSED notification, which libmicrohttpd sends before it closes the fd.
 */
struct conn {
	struct conn *prev, *next;
	int fd;
	atomic_llong waiting_since_ms;	/* waiting for a request since; 0 while one is handled */
};

struct server {
	struct MHD_Daemon *mhd;
	int port;
	int process_top;
	atomic_bool ready;
	struct cache cache[NR_CACHES];
	pthread_t prerender;
	bool prerender_started;
	pthread_mutex_t wake_lock;	/* guards kicked and stopping */
	pthread_cond_t wake_cond;
	bool kicked;
	bool stopping;
	pthread_mutex_t conns_lock;
	struct conn conns;		/* list head */
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

static struct blob *blob__new(char *data, size_t len)
{
	struct blob *b = malloc(sizeof(*b));

	if (!b) {
		free(data);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->data = data;
	b->len = len;
	return b;
}

static struct blob *blob__get(struct blob *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

static void blob__put(void *p)
{
	struct blob *b = p;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		free(b->data);
		free(b);
	}
}

static struct blob *render__metrics(json_t *doc, enum prom_format fmt, int top)
{
	struct prom_opts po = { .format = fmt, .process_top = top };
	char *text;
	size_t len;

	if (prom__render(doc, &po, &text, &len))
		return NULL;
	return blob__new(text, len);
}

static struct blob *render__gzip(const struct blob *plain)
{
	char *gz;
	size_t len;

	if (!plain || gzip__compress(plain->data, plain->len, &gz, &len))
		return NULL;
	return blob__new(gz, len);
}

static struct blob *render__pods(json_t *doc)
{
	struct api_request req = { .path = "/api/v1/pods" };
	struct api_reply rep = {};
	char *s;

	api__handle(doc, &req, &rep);
	s = rep.status == 200 && rep.body ? json_dumps(rep.body, JSON_COMPACT) : NULL;
	json_decref(rep.body);
	return s ? blob__new(s, strlen(s)) : NULL;
}

static struct blob *cache__get(struct server *s, enum cache_id id, json_t *doc, bool allow_stale);

static struct blob *cache__render(struct server *s, enum cache_id id, json_t *doc)
{
	struct blob *plain, *b;

	switch (id) {
	case CACHE_TEXT:
		return render__metrics(doc, PROM_TEXT, s->process_top);
	case CACHE_OM:
		return render__metrics(doc, PROM_OPENMETRICS, s->process_top);
	case CACHE_TEXT_GZ:
	case CACHE_OM_GZ:
	case CACHE_PODS_GZ:
		/* The plain body of this very document, never a stale one. */
		plain = cache__get(s, id - 1, doc, false);
		b = render__gzip(plain);
		blob__put(plain);
		return b;
	case CACHE_PODS:
		return render__pods(doc);
	default:
		return NULL;
	}
}

/* The cached body if it is doc's; else *stale gets the older one (or NULL). */
static struct blob *cache__peek(struct cache *c, json_t *doc, struct blob **stale)
{
	struct blob *b = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->doc == doc)
		b = blob__get(c->blob);
	else if (stale)
		*stale = blob__get(c->blob);
	pthread_mutex_unlock(&c->lock);
	return b;
}

/* Make b (rendered from doc) the cached body; the old one is released outside the lock. */
static void cache__store(struct cache *c, json_t *doc, struct blob *b)
{
	struct blob *old_blob;
	json_t *old_doc;

	pthread_mutex_lock(&c->lock);
	old_blob = c->blob;
	old_doc = c->doc;
	c->blob = blob__get(b);
	c->doc = json_incref(doc);
	pthread_mutex_unlock(&c->lock);
	blob__put(old_blob);
	json_decref(old_doc);
}

static void prerender__kick(struct server *s)
{
	pthread_mutex_lock(&s->wake_lock);
	s->kicked = true;
	pthread_cond_signal(&s->wake_cond);
	pthread_mutex_unlock(&s->wake_lock);
}

/*
 * doc's body, rendered at most once per document. With allow_stale, a
 * request that finds an older body gets it at once and leaves the render
 * to the pre-render thread: no request waits for rendering but the first.
 */
static struct blob *cache__get(struct server *s, enum cache_id id, json_t *doc, bool allow_stale)
{
	struct cache *c = &s->cache[id];
	struct blob *b, *stale = NULL;

	atomic_store(&c->wanted, true);
	b = cache__peek(c, doc, allow_stale ? &stale : NULL);
	if (b)
		return b;
	if (stale) {
		prerender__kick(s);
		return stale;
	}
	pthread_mutex_lock(&c->render_lock);
	b = cache__peek(c, doc, NULL);
	if (!b) {
		b = cache__render(s, id, doc);
		if (b)
			cache__store(c, doc, b);
	}
	pthread_mutex_unlock(&c->render_lock);
	return b;
}

static long long mono_ms(void)
{
	return (long long)(monotonic_s() * 1000);
}

/* Shut down connections that have been receiving one request for too long. */
static void conns__reap(struct server *s)
{
	long long now = mono_ms(), since;
	struct conn *k;

	pthread_mutex_lock(&s->conns_lock);
	for (k = s->conns.next; k != &s->conns; k = k->next) {
		since = atomic_load(&k->waiting_since_ms);
		if (since && now - since > SERVER_REQUEST_DEADLINE_MS)
			shutdown(k->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&s->conns_lock);
}

/*
 * Render each body that clients ask for as soon as a document is
 * published; enforce the request deadline.
 */
static void *prerender__run(void *arg)
{
	struct server *s = arg;
	json_t *doc, *last = NULL;
	long long reaped = 0;
	struct timespec ts;
	int id;

	setpriority(PRIO_PROCESS, gettid(), SERVER_NICE);
	pthread_mutex_lock(&s->wake_lock);
	while (!s->stopping) {
		s->kicked = false;
		pthread_mutex_unlock(&s->wake_lock);
		doc = snapshot__get();
		if (doc && doc != last) {
			for (id = 0; id < NR_CACHES; id++)
				if (atomic_load(&s->cache[id].wanted))
					blob__put(cache__get(s, id, doc, false));
		}
		json_decref(last);
		last = doc;
		if (mono_ms() - reaped >= REAP_EVERY_MS) {
			conns__reap(s);
			reaped = mono_ms();
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PRERENDER_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->wake_lock);
		if (!s->stopping && !s->kicked)
			pthread_cond_timedwait(&s->wake_cond, &s->wake_lock, &ts);
	}
	pthread_mutex_unlock(&s->wake_lock);
	json_decref(last);
	return NULL;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status,
			       struct MHD_Response *r, const char *type)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned int status,
				    const char *text)
{
	return respond(c, status,
		       MHD_create_response_from_buffer(strlen(text), (void *)text,
						       MHD_RESPMEM_PERSISTENT),
		       "text/plain; charset=utf-8");
}

static bool wants_gzip(struct MHD_Connection *c)
{
	return accept__gzip(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

/* A response for a malloc'd body (taken), gzipped when it is large and the client allows. */
static struct MHD_Response *response__buffer(struct MHD_Connection *c, char *body, size_t len)
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

/* Send body (stolen) as JSON. */
static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (!s)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return respond(c, status, response__buffer(c, s, strlen(s)), "application/json");
}

/* A response that sends a cached body and drops its reference when done (NULL on failure). */
static struct MHD_Response *response__blob(struct blob *b)
{
	struct MHD_Response *r;

	if (!b)
		return NULL;
	r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, blob__put, b);
	if (!r)
		blob__put(b);
	return r;
}

static enum MHD_Result serve_metrics(struct server *s, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum prom_format fmt = accept__openmetrics(accept) ? PROM_OPENMETRICS : PROM_TEXT;
	bool gz = wants_gzip(c);
	struct MHD_Response *r;
	struct blob *b;
	json_t *doc;

	doc = snapshot__get();
	if (!doc)
		return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no collection yet\n");
	b = cache__get(s, (fmt == PROM_OPENMETRICS ? CACHE_OM : CACHE_TEXT) + gz, doc, true);
	json_decref(doc);
	r = response__blob(b);
	if (!r)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return respond(c, MHD_HTTP_OK, r, prom__content_type(fmt));
}

static enum MHD_Result arg__collect(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct api_request *req = cls;

	if (req->nr_args < API_MAX_ARGS)
		req->args[req->nr_args] = (struct api_arg){ .key = key, .val = value };
	req->nr_args++;
	return MHD_YES;
}

/* A cached JSON body (the unfiltered pod list: large, asked for often); id is the plain one. */
static enum MHD_Result respond_cached(struct server *s, struct MHD_Connection *c,
				      enum cache_id id, json_t *doc)
{
	bool gz = wants_gzip(c);
	struct MHD_Response *r = response__blob(cache__get(s, id + gz, doc, true));

	json_decref(doc);
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
	struct api_reply rep = {};
	json_t *doc;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg__collect, &req);
	doc = snapshot__get();
	if (doc && !req.nr_args && !strcmp(url, "/api/v1/pods"))
		return respond_cached(s, c, CACHE_PODS, doc);
	api__handle(doc, &req, &rep);
	json_decref(doc);
	return respond_json(c, rep.status, rep.body);
}

static enum MHD_Result serve_readyz(struct server *s, struct MHD_Connection *c)
{
	json_t *doc = snapshot__get();
	bool ready = atomic_load(&s->ready) && doc;

	json_decref(doc);
	if (ready)
		return respond_json(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"));
	return respond_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    json_pack("{s:s, s:s}", "status", "not ready", "reason",
				      doc ? "programs not attached" : "no collection yet"));
}

static enum MHD_Result server__handle(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	struct server *s = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;

	/* The request is in: the deadline stops until it is answered. */
	if (k)
		atomic_store(&k->waiting_since_ms, 0);
	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return respond_json(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    api__error(MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served"));
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
static void server__on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
				 enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;

	if (k)
		atomic_store(&k->waiting_since_ms, mono_ms());
}

static void conn__started(struct server *s, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn *k;

	if (!ci)
		return;
	k = calloc(1, sizeof(*k));
	if (!k)
		return;
	k->fd = ci->connect_fd;
	atomic_init(&k->waiting_since_ms, mono_ms());
	pthread_mutex_lock(&s->conns_lock);
	k->next = s->conns.next;
	k->prev = &s->conns;
	k->next->prev = k;
	s->conns.next = k;
	pthread_mutex_unlock(&s->conns_lock);
	*socket_context = k;
}

static void conn__closed(struct server *s, void **socket_context)
{
	struct conn *k = *socket_context;

	if (!k)
		return;
	pthread_mutex_lock(&s->conns_lock);
	k->prev->next = k->next;
	k->next->prev = k->prev;
	pthread_mutex_unlock(&s->conns_lock);
	free(k);
	*socket_context = NULL;
}

static __thread bool thread_niced;

/* In the serving thread: track the connection, and lower the thread's priority once. */
static void server__on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
				  enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn__started(s, c, socket_context);
	else
		conn__closed(s, socket_context);
	if (thread_niced)
		return;
	thread_niced = true;
	setpriority(PRIO_PROCESS, gettid(), SERVER_NICE);
}

/* A socket on the address options parsed, bound here so a busy port fails with its errno. */
static int listen__open(const struct options *o)
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

static int listen__port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static struct server *server__alloc(const struct options *o)
{
	struct server *s = calloc(1, sizeof(*s));
	int id;

	if (!s)
		return NULL;
	s->process_top = o->process_metrics_top;
	atomic_init(&s->ready, false);
	pthread_mutex_init(&s->wake_lock, NULL);
	pthread_cond_init(&s->wake_cond, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	s->conns.next = s->conns.prev = &s->conns;
	for (id = 0; id < NR_CACHES; id++) {
		pthread_mutex_init(&s->cache[id].lock, NULL);
		pthread_mutex_init(&s->cache[id].render_lock, NULL);
		atomic_init(&s->cache[id].wanted, false);
	}
	/* Scrapers almost always want gzipped text: have it ready for the first one. */
	atomic_store(&s->cache[CACHE_TEXT_GZ].wanted, true);
	return s;
}

static void server__free(struct server *s)
{
	int id;

	for (id = 0; id < NR_CACHES; id++) {
		blob__put(s->cache[id].blob);
		json_decref(s->cache[id].doc);
		pthread_mutex_destroy(&s->cache[id].lock);
		pthread_mutex_destroy(&s->cache[id].render_lock);
	}
	pthread_cond_destroy(&s->wake_cond);
	pthread_mutex_destroy(&s->wake_lock);
	pthread_mutex_destroy(&s->conns_lock);
	free(s);
}

static void prerender__stop(struct server *s)
{
	if (!s->prerender_started)
		return;
	pthread_mutex_lock(&s->wake_lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake_cond);
	pthread_mutex_unlock(&s->wake_lock);
	pthread_join(s->prerender, NULL);
	s->prerender_started = false;
}

int server__start(struct server **out, const struct options *o)
{
	unsigned int flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD;
	struct server *s;
	int fd, err;

	*out = NULL;
	s = server__alloc(o);
	if (!s)
		return -ENOMEM;
	fd = listen__open(o);
	if (fd < 0) {
		err = fd;
		fprintf(stderr, "wattlet: cannot listen on '%s': %s\n", o->listen, strerror(-err));
		goto out_free;
	}
	s->port = listen__port(fd);
	if (o->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (o->verbose)
		flags |= MHD_USE_ERROR_LOG;
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, server__handle, s,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)SERVER_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONN_MEMORY,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_NOTIFY_CONNECTION, server__on_connection, s,
		MHD_OPTION_NOTIFY_COMPLETED, server__on_completed, s,
		MHD_OPTION_END);
	if (!s->mhd) {
		err = -EIO;
		fprintf(stderr, "wattlet: cannot start the HTTP server on '%s'\n", o->listen);
		close(fd);
		goto out_free;
	}
	err = -pthread_create(&s->prerender, NULL, prerender__run, s);
	if (err) {
		fprintf(stderr, "wattlet: cannot start the HTTP renderer: %s\n", strerror(-err));
		goto out_stop;
	}
	s->prerender_started = true;
	*out = s;
	return 0;
out_stop:
	MHD_stop_daemon(s->mhd);
out_free:
	server__free(s);
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
	MHD_stop_daemon(s->mhd);
	prerender__stop(s);
	server__free(s);
}
