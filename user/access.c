// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The web config applied to libmicrohttpd's connections and requests.
 *
 * TLS: libmicrohttpd needs a certificate to start with TLS; it gets the
 * first one, but every session is then given the current context at
 * NOTIFY_STARTED, before its first byte (tls.h), and keeps it.
 *
 * Basic auth: a request whose credentials are not known yet is suspended
 * (MHD_suspend_connection) while the bcrypt thread checks them, and
 * resumed with the answer, so a serving thread never spends bcrypt's
 * quarter second. The connection's lock orders the suspend before the
 * resume: the answer can come before libmicrohttpd's call returns.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "access.h"
#include "basic_auth.h"
#include "web.h"

#define REALM "wattlet"

enum check_state {
	CHECK_NONE,
	CHECK_WAITING, /* suspended, bcrypt running */
	CHECK_PASSED,
	CHECK_UNAUTHORIZED, /* 401 */
	CHECK_THROTTLED,    /* 429 */
};

struct access {
	struct web_watch *watch; /* NULL: no web config */
	atomic_bool stopped;	 /* refuse what still comes in while the daemon stops */
	struct web *initial;	 /* what the daemon started with */
	struct basic_auth *auth;
	struct MHD_OptionItem opts[4];
	pthread_mutex_t rate_lock; /* the toolkit's rate_limit bucket */
	double rate_tokens;
	double rate_at;
};

struct access_conn {
	struct MHD_Connection *c;
	struct tls_ctx *tls;  /* the context its session was given */
	pthread_mutex_t lock; /* guards the request's check below */
	struct web *web;      /* the generation the request is checked against */
	enum check_state state;
	double retry_after_s;
};

static const char body_401[] = "{\"error\":\"authentication required\",\"status\":401}";
static const char body_429[] = "{\"error\":\"too many requests, retry later\",\"status\":429}";
static const char body_503[] = "{\"error\":\"connection not set up\",\"status\":503}";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int access__new(struct access **out, const char *web_config_file, char *err, size_t errlen)
{
	struct access *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->rate_lock, NULL);
	a->opts[0] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	if (!web_config_file || !*web_config_file) {
		*out = a;
		return 0;
	}
	ret = web__load(web_config_file, &a->initial, err, errlen);
	if (ret)
		goto out_free;
	a->auth = basic_auth__new(NULL);
	if (!a->auth) {
		ret = -errno;
		snprintf(err, errlen, "cannot start the basic auth thread: %s", strerror(-ret));
		goto out_free;
	}
	ret = web_watch__start(&a->watch, web_config_file, a->initial);
	if (ret) {
		snprintf(err, errlen, "cannot watch %s: %s", web_config_file, strerror(-ret));
		goto out_free;
	}
	a->rate_tokens = a->initial->config->rate_burst;
	a->rate_at = now_s();
	if (a->initial->tls) {
		a->opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						      (void *)tls_ctx__cert_pem(a->initial->tls) };
		a->opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						      (void *)tls_ctx__key_pem(a->initial->tls) };
		a->opts[2] =
			(struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
						 (void *)tls_ctx__priorities(a->initial->tls) };
		a->opts[3] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	*out = a;
	return 0;
out_free:
	access__stop(a);
	access__free(a);
	return ret;
}

void access__stop(struct access *a)
{
	if (!a)
		return;
	atomic_store(&a->stopped, true);
	basic_auth__free(a->auth);
	a->auth = NULL;
}

void access__free(struct access *a)
{
	if (!a)
		return;
	web_watch__stop(a->watch);
	web__put(a->initial);
	pthread_mutex_destroy(&a->rate_lock);
	free(a);
}

bool access__tls(const struct access *a)
{
	return a->initial && a->initial->tls;
}

/*
 * With TLS, poll() rather than epoll: libmicrohttpd 0.9.75 on epoll spins
 * on a connection whose handshake failed until its idle timeout (measured:
 * 20 bad ClientHellos kept both serving threads at ~70% of a CPU for
 * 10 s); on poll() the same connections cost nothing while they wait.
 */
unsigned int access__mhd_flags(const struct access *a)
{
	unsigned int flags = access__tls(a) ? MHD_USE_TLS | MHD_USE_POLL : MHD_USE_AUTO;

	if (a->initial)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	return flags;
}

const struct MHD_OptionItem *access__mhd_options(const struct access *a)
{
	return a->opts;
}

struct access_conn *access__conn_open(struct access *a, struct MHD_Connection *c)
{
	struct access_conn *ac = calloc(1, sizeof(*ac));
	const union MHD_ConnectionInfo *ci;
	struct web *w;

	if (!ac)
		return NULL;
	ac->c = c;
	pthread_mutex_init(&ac->lock, NULL);
	if (!access__tls(a) || !a->watch)
		return ac;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	w = web_watch__current(a->watch);
	ac->tls = tls_ctx__get(w->tls);
	web__put(w);
	if (!ci || !ci->tls_session || tls_ctx__setup_session(ac->tls, ci->tls_session)) {
		access__conn_close(ac);
		return NULL;
	}
	return ac;
}

void access__conn_close(struct access_conn *ac)
{
	if (!ac)
		return;
	web__put(ac->web);
	tls_ctx__put(ac->tls);
	pthread_mutex_destroy(&ac->lock);
	free(ac);
}

/* The toolkit's rate_limit: one token per interval, at most burst; interval 0 turns it off. */
static bool rate_allow(struct access *a, const struct web_config *c)
{
	double now;
	bool ok;

	if (c->rate_interval_s <= 0)
		return true;
	pthread_mutex_lock(&a->rate_lock);
	now = now_s();
	a->rate_tokens =
		fmin(c->rate_burst, a->rate_tokens + (now - a->rate_at) / c->rate_interval_s);
	a->rate_at = now;
	ok = a->rate_tokens >= 1;
	if (ok)
		a->rate_tokens -= 1;
	pthread_mutex_unlock(&a->rate_lock);
	return ok;
}

/* The bcrypt thread's answer: record it and let libmicrohttpd call the handler again. */
static void on_checked(void *arg, enum auth_result r)
{
	struct access_conn *ac = arg;

	pthread_mutex_lock(&ac->lock);
	ac->state = r == AUTH_OK	? CHECK_PASSED :
		    r == AUTH_THROTTLED ? CHECK_THROTTLED :
					  CHECK_UNAUTHORIZED;
	ac->retry_after_s = 1;
	MHD_resume_connection(ac->c);
	pthread_mutex_unlock(&ac->lock);
}

/* Under ac->lock: check the credentials, or start checking them. */
static enum check_state check_credentials(struct access *a, struct access_conn *ac,
					  struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	enum auth_result r = AUTH_DENIED;

	if (user && pass)
		r = basic_auth__check(a->auth, web_config__user_hash(ac->web->config, user), user,
				      pass, ci ? ci->client_addr : NULL, on_checked, ac,
				      &ac->retry_after_s);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	switch (r) {
	case AUTH_OK:
		return CHECK_PASSED;
	case AUTH_THROTTLED:
		return CHECK_THROTTLED;
	case AUTH_PENDING:
		MHD_suspend_connection(c);
		return CHECK_WAITING;
	default:
		return CHECK_UNAUTHORIZED;
	}
}

static bool is_probe(const char *url)
{
	return !strcmp(url, "/healthz") || !strcmp(url, "/readyz");
}

static enum MHD_Result refuse(struct access *a, struct access_conn *ac, struct MHD_Connection *c,
			      unsigned int status, const char *body, double retry_after_s)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	char secs[16];

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	access__decorate(ac, r);
	if (status == MHD_HTTP_UNAUTHORIZED) {
		ret = MHD_queue_basic_auth_fail_response(c, REALM, r);
	} else {
		if (status == MHD_HTTP_TOO_MANY_REQUESTS) {
			snprintf(secs, sizeof(secs), "%.0f",
				 ceil(retry_after_s > 1 ? retry_after_s : 1));
			MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
		}
		ret = MHD_queue_response(c, status, r);
	}
	MHD_destroy_response(r);
	return ret;
}

/* Under ac->lock: decide a request not checked yet. */
static enum check_state check_request(struct access *a, struct access_conn *ac,
				      struct MHD_Connection *c, const char *url)
{
	const struct web_config *cfg;

	ac->web = web_watch__current(a->watch);
	cfg = ac->web->config;
	if (is_probe(url))
		return CHECK_PASSED;
	if (!rate_allow(a, cfg)) {
		ac->retry_after_s = cfg->rate_interval_s;
		return CHECK_THROTTLED;
	}
	if (!cfg->nr_users)
		return CHECK_PASSED;
	return check_credentials(a, ac, c);
}

enum access_verdict access__request(struct access *a, struct access_conn *ac,
				    struct MHD_Connection *c, const char *url, enum MHD_Result *ret)
{
	enum check_state state;

	if (!a->watch)
		return ACCESS_GRANTED;
	if (!ac || atomic_load(&a->stopped)) {
		*ret = refuse(a, NULL, c, MHD_HTTP_SERVICE_UNAVAILABLE, body_503, 0);
		return ACCESS_ANSWERED;
	}
	pthread_mutex_lock(&ac->lock);
	if (ac->state == CHECK_NONE)
		ac->state = check_request(a, ac, c, url);
	state = ac->state;
	pthread_mutex_unlock(&ac->lock);
	switch (state) {
	case CHECK_PASSED:
		return ACCESS_GRANTED;
	case CHECK_WAITING:
		*ret = MHD_YES;
		return ACCESS_WAIT;
	case CHECK_THROTTLED:
		*ret = refuse(a, ac, c, MHD_HTTP_TOO_MANY_REQUESTS, body_429, ac->retry_after_s);
		return ACCESS_ANSWERED;
	default:
		*ret = refuse(a, ac, c, MHD_HTTP_UNAUTHORIZED, body_401, 0);
		return ACCESS_ANSWERED;
	}
}

void access__decorate(struct access_conn *ac, struct MHD_Response *r)
{
	const struct web_config *cfg;
	int h;

	if (!ac || !ac->web)
		return;
	cfg = ac->web->config;
	for (h = 0; h < NR_WEB_HEADERS; h++) {
		if (!cfg->headers[h])
			continue;
		/* ours would be a second X-Content-Type-Options */
		if (h == WEB_HDR_CONTENT_TYPE_OPTIONS)
			MHD_del_response_header(r, web_config__header_name(h), "nosniff");
		MHD_add_response_header(r, web_config__header_name(h), cfg->headers[h]);
	}
}

void access__request_done(struct access_conn *ac)
{
	if (!ac)
		return;
	pthread_mutex_lock(&ac->lock);
	web__put(ac->web);
	ac->web = NULL;
	ac->state = CHECK_NONE;
	pthread_mutex_unlock(&ac->lock);
}
