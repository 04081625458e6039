// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one HTTP client: libcurl easy handle, reused so polls keep the connection. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "http.h"

#define HTTP_MAX_BODY (256UL << 20) /* a 1,000-pod node is a few MB */

struct http {
	CURL *curl;
	struct curl_slist *headers;
	char *buf;
	size_t len;
	size_t cap;
	bool overflow;
};

static size_t http_collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http *h = arg;
	size_t n = size * nmemb;
	char *buf;

	if (h->len + n + 1 > HTTP_MAX_BODY) {
		h->overflow = true;
		return 0;
	}
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 16384;

		while (cap < h->len + n + 1)
			cap *= 2;
		buf = realloc(h->buf, cap);
		if (!buf)
			return 0;
		h->buf = buf;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return n;
}

/* HTTPS from TLS 1.2, verified unless asked not to; a client certificate; basic auth. */
static void http_auth(CURL *curl, const struct http_auth *a)
{
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (!a)
		return;
	if (a->cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, a->cacert);
	if (a->cert)
		curl_easy_setopt(curl, CURLOPT_SSLCERT, a->cert);
	if (a->key)
		curl_easy_setopt(curl, CURLOPT_SSLKEY, a->key);
	if (a->insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (a->user) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, a->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, a->password ? a->password : "");
	}
}

struct http *http__new(double timeout_s, const struct http_auth *auth)
{
	struct http *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return NULL;
	}
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "wattctl");
	h->headers = curl_slist_append(NULL, "Accept: application/json");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	http_auth(h->curl, auth);
	return h;
}

void http__free(struct http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h->buf);
	free(h);
	curl_global_cleanup();
}

char *http__escape(struct http *h, const char *s)
{
	char *e = curl_easy_escape(h->curl, s, 0);
	char *dup;

	if (!e)
		return NULL;
	dup = strdup(e);
	curl_free(e);
	return dup;
}

/* The server's own words for a failure: {"error": "..."} if it sent that. */
static const char *http_error_text(json_t *doc)
{
	json_t *e = json_is_object(doc) ? json_object_get(doc, "error") : NULL;

	if (json_is_string(e))
		return json_string_value(e);
	if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
		return json_string_value(json_object_get(e, "message"));
	return NULL;
}

static int http_status_error(struct http *h, const char *url, long status, char *err, size_t errlen)
{
	json_t *doc = json_loadb(h->buf ? h->buf : "", h->len, 0, NULL);
	const char *why = http_error_text(doc);

	snprintf(err, errlen, "GET %s: HTTP %ld%s%s", url, status, why ? ": " : "", why ? why : "");
	json_decref(doc);
	return -EPROTO;
}

static int http_parse(struct http *h, const char *url, json_t **doc, char *err, size_t errlen)
{
	json_error_t jerr;

	*doc = json_loadb(h->buf ? h->buf : "", h->len, 0, &jerr);
	if (!*doc) {
		snprintf(err, errlen, "GET %s: invalid JSON: %s (line %d, column %d)", url,
			 jerr.text, jerr.line, jerr.column);
		return -EBADMSG;
	}
	return 0;
}

int http__get_json(struct http *h, const char *url, json_t **doc, char *err, size_t errlen)
{
	CURLcode rc;
	long status = 0;

	*doc = NULL;
	h->len = 0;
	h->overflow = false;
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "GET %s: %s", url,
			 h->overflow ? "response too large" : curl_easy_strerror(rc));
		return h->overflow ? -EFBIG : -EHOSTUNREACH;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400)
		return http_status_error(h, url, status, err, errlen);
	if (status != 200) {
		snprintf(err, errlen, "GET %s: unexpected HTTP %ld", url, status);
		return -EPROTO;
	}
	return http_parse(h, url, doc, err, errlen);
}
