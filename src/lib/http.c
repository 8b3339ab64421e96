/*
 * http — libcurl behind the hardening rules of DESIGN.md; see http.h for the contract.
 *
 * One struct transfer per request: a deep copy of the request while it waits in the
 * queue, then one libcurl easy handle (created only when a slot is free, so that a
 * thousand queued requests cost a few hundred bytes each, not an easy handle each),
 * and the result it fills.  A transfer sits in exactly one of the multi's lists:
 * queue -> running -> done.
 *
 * Callbacks fill the result as the transfer goes:
 *   on_prereq   libcurl is about to send a request (connect and handshake done):
 *               read the TLS facts from the live OpenSSL connection; this is the
 *               one moment the SSL pointer is valid for every kind of transfer,
 *               connect_only included (after completion it is gone)
 *   on_ssl_ctx  a TLS handshake is about to start, so TCP is up: a timestamp, since
 *               libcurl 7.88 records no connect time when the handshake fails
 *   on_header   collect the headers of the final response (reset on each status line)
 *   on_body     append to the body, refusing anything past max_body
 *
 * A handshake that fails on the certificate gets a second easy handle on the same
 * slot: connect_only, verification off, so that on_prereq can read the certificate.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "http.h"
#include "tm.h"
#include "banned.h"

#ifndef SRETOOLS_VERSION
#define SRETOOLS_VERSION "0"
#endif
#define USER_AGENT "sretools/" SRETOOLS_VERSION
#define DEFAULT_PARALLEL 32
#define MAX_METHOD 32

/* How far a transfer got; names the phase a timeout happened in. */
enum stage { ST_CONNECTING, ST_HANDSHAKE, ST_WAITING, ST_BODY };

/* An X509_STORE for our own verification, loaded once per multi and CA file. */
struct ca_store {
	struct ca_store *next;
	char *cafile;                   /* NULL: libcurl's default */
	X509_STORE *store;
};

struct transfer {
	struct transfer *next, *prev;   /* in the multi's queue, running or done list */
	struct http_multi *multi;

	/* the request, copied */
	char *url, *display_url, *method, *cacert, *cert, *key, *proxy;
	char *body;
	size_t body_len;
	int has_body;
	struct curl_slist *headers, *resolve;
	int64_t timeout_ms, connect_timeout_ms;
	int follow, insecure, ip_version, connect_only;
	size_t max_body;

	/* the transfer */
	CURL *easy;
	int fallback;                   /* easy is the connect_only certificate reader */
	struct http_result *res;        /* allocated on add, so that starting cannot fail */
	size_t body_cap, headers_cap, header_bytes;
	int too_large, oom;
	enum stage stage;
	int64_t handshake_ns;           /* CLOCK_MONOTONIC when the last handshake began */
	char errbuf[CURL_ERROR_SIZE];

	/* what the error message needs, kept while the fallback runs */
	CURLcode rc;
	char where[512];                /* display or, after a redirect, effective URL
					   without user info */
	char host[256];
	long port;
	long os_errno;
	curl_off_t namelookup_us;
};

struct http_multi {
	CURLM *curlm;
	unsigned max_parallel, active;
	struct transfer *queue, *queue_tail;
	struct transfer *running;
	struct transfer *done, *done_tail;
	size_t pending;
	struct ca_store *stores;
};

/* ---- global setup ------------------------------------------------------------- */

int http_global_init(struct srerr *e)
{
	static int done;
	CURLcode rc;

	if (done)
		return 0;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		srerr_set(e, "io", "cannot initialise libcurl: %s", curl_easy_strerror(rc));
		return -1;
	}
	done = 1;
	return 0;
}

/* ---- request checks ----------------------------------------------------------- */

static int is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A field value: visible characters, spaces and tabs (RFC 9110 5.5), so no CR or LF. */
static int is_field_value(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static const char *lower_first(char *s);

/*
 * url must parse and be http:// or https://.  Messages name shown (the display URL),
 * never url, and say what is wrong: libcurl's reason when the URL does not parse
 * ("bad IPv6 address" for "http://[::1"), the schemes when it has another or none.
 */
static int check_url(const char *url, const char *shown, struct srerr *e)
{
	CURLU *u = curl_url();
	char *scheme = NULL, reason[128];
	CURLUcode uc;
	int ok = 0;

	if (!u) {
		srerr_set(e, "io", "out of memory");
		return -1;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
		ok = !strcmp(scheme, "http") || !strcmp(scheme, "https");
	if (!ok && uc != CURLUE_OK && uc != CURLUE_BAD_SCHEME && strstr(url, "://")) {
		snprintf(reason, sizeof(reason), "%s", curl_url_strerror(uc));
		srerr_set(e, "invalid_request", "invalid URL '%.200s': %s", shown,
			  lower_first(reason));
	} else if (!ok) {
		srerr_set(e, "invalid_request", "invalid URL '%.200s': expected http:// or https://",
			  shown);
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

/* Names only in messages: a header value may be a secret. */
static int check_header(const char *line, size_t i, struct srerr *e)
{
	const char *colon = line ? strchr(line, ':') : NULL;

	if (!line) {
		srerr_set(e, "invalid_request", "header %zu is missing", i + 1);
		return -1;
	}
	if (!colon || !is_token(line, (size_t)(colon - line))) {
		srerr_set(e, "invalid_request",
			  "invalid header %zu: expected 'Name: value' with a name of letters, "
			  "digits and !#$%%&'*+-.^_`|~", i + 1);
		return -1;
	}
	if (!is_field_value(colon + 1)) {
		srerr_set(e, "invalid_request",
			  "invalid header '%.*s': its value contains CR, LF or another control "
			  "character", (int)(colon - line > 64 ? 64 : colon - line), line);
		return -1;
	}
	return 0;
}

static int check_resolve(const char *entry, struct srerr *e)
{
	if (!entry || !*entry || !strchr(entry, ':') || !is_field_value(entry) ||
	    strchr(entry, '\t') || strchr(entry, ' ')) {
		srerr_set(e, "invalid_request", "invalid resolve entry '%.100s': expected "
			  "HOST:PORT:ADDR", entry ? entry : "");
		return -1;
	}
	return 0;
}

static int check_numbers(const struct http_request *req, struct srerr *e)
{
	if (req->timeout_ms < 0 || req->connect_timeout_ms < 0) {
		srerr_set(e, "invalid_request", "invalid timeout: must not be negative");
		return -1;
	}
	if (req->ip_version != 0 && req->ip_version != 4 && req->ip_version != 6) {
		srerr_set(e, "invalid_request", "invalid IP version %d: expected 0, 4 or 6",
			  req->ip_version);
		return -1;
	}
	if (req->body_len && !req->body) {
		srerr_set(e, "invalid_request", "request body of %zu bytes is missing",
			  req->body_len);
		return -1;
	}
	return 0;
}

int http_request_check(const struct http_request *req, struct srerr *e)
{
	size_t i;

	if (!req || !req->url) {
		srerr_set(e, "invalid_request", "request without a URL");
		return -1;
	}
	if (check_url(req->url, req->display_url ? req->display_url : req->url, e) < 0 ||
	    check_numbers(req, e) < 0)
		return -1;
	if (req->method && (strlen(req->method) > MAX_METHOD ||
			    !is_token(req->method, strlen(req->method)))) {
		srerr_set(e, "invalid_request", "invalid method '%.32s': expected a token like GET",
			  req->method);
		return -1;
	}
	if (req->nheaders && !req->headers) {
		srerr_set(e, "invalid_request", "%zu headers are missing", req->nheaders);
		return -1;
	}
	for (i = 0; i < req->nheaders; i++)
		if (check_header(req->headers[i], i, e) < 0)
			return -1;
	if (req->nresolve && !req->resolve) {
		srerr_set(e, "invalid_request", "%zu resolve entries are missing", req->nresolve);
		return -1;
	}
	for (i = 0; i < req->nresolve; i++)
		if (check_resolve(req->resolve[i], e) < 0)
			return -1;
	return 0;
}

/* ---- headers and results ------------------------------------------------------- */

/* The name part of "Name: value" or of a bare name, without surrounding blanks. */
static void header_name(const char *s, const char **name, size_t *len)
{
	const char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = strchr(s, ':');
	if (!end)
		end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*name = s;
	*len = (size_t)(end - s);
}

int http_header_is_secret(const char *name_or_line)
{
	static const char *const secret[] = {
		"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
	};
	const char *name;
	size_t len, i;

	if (!name_or_line)
		return 0;
	header_name(name_or_line, &name, &len);
	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (strlen(secret[i]) == len && !strncasecmp(name, secret[i], len))
			return 1;
	return 0;
}

const char *http_result_header(const struct http_result *r, const char *name)
{
	size_t i;

	if (!r || !name)
		return NULL;
	for (i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* Each header is one allocation: name, NUL, value, NUL; value points into it. */
static void free_headers(struct http_result *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i].name);
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

void http_result_free(struct http_result *r)
{
	if (!r)
		return;
	free_headers(r);
	free(r->body);
	free(r);
}

/* ---- the request copy ------------------------------------------------------------ */

static int dup_string(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

static int has_header(const struct http_request *req, const char *name)
{
	const char *n;
	size_t len, i;

	for (i = 0; i < req->nheaders; i++) {
		header_name(req->headers[i], &n, &len);
		if (len == strlen(name) && !strncasecmp(n, name, len))
			return 1;
	}
	return 0;
}

static int build_lists(struct transfer *t, const struct http_request *req)
{
	struct curl_slist *l;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (!(l = curl_slist_append(t->headers, req->headers[i])))
			return -1;
		t->headers = l;
	}
	/* Expect: 100-continue would make the server's view of the body depend on its size. */
	if (!has_header(req, "Expect")) {
		if (!(l = curl_slist_append(t->headers, "Expect:")))
			return -1;
		t->headers = l;
	}
	for (i = 0; i < req->nresolve; i++) {
		if (!(l = curl_slist_append(t->resolve, req->resolve[i])))
			return -1;
		t->resolve = l;
	}
	return 0;
}

static void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	if (t->easy) {
		curl_multi_remove_handle(t->multi->curlm, t->easy);
		curl_easy_cleanup(t->easy);
	}
	http_result_free(t->res);
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->resolve);
	free(t->url);
	free(t->display_url);
	free(t->method);
	free(t->cacert);
	free(t->cert);
	free(t->key);
	free(t->proxy);
	free(t->body);
	free(t);
}

static struct transfer *transfer_new(struct http_multi *m, const struct http_request *req)
{
	struct transfer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->multi = m;
	if (!(t->res = calloc(1, sizeof(*t->res))) ||
	    dup_string(&t->url, req->url) || dup_string(&t->display_url, req->display_url) ||
	    dup_string(&t->method, req->method) ||
	    dup_string(&t->cacert, req->cacert) || dup_string(&t->cert, req->cert) ||
	    dup_string(&t->key, req->key) || dup_string(&t->proxy, req->proxy) ||
	    build_lists(t, req) < 0)
		goto fail;
	if (req->body) {
		if (!(t->body = malloc(req->body_len ? req->body_len : 1)))
			goto fail;
		if (req->body_len)
			memcpy(t->body, req->body, req->body_len);
		t->body_len = req->body_len;
		t->has_body = 1;
	}
	t->timeout_ms = req->timeout_ms ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	t->connect_timeout_ms = req->connect_timeout_ms ? req->connect_timeout_ms : t->timeout_ms;
	t->follow = req->follow;
	t->insecure = req->insecure;
	t->ip_version = req->ip_version;
	t->connect_only = req->connect_only;
	t->max_body = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	t->res->user = req->user;
	t->res->retry_after_s = -1;
	return t;
fail:
	transfer_free(t);
	return NULL;
}

/* ---- small helpers ----------------------------------------------------------------- */

/* Copy at most size-1 bytes of src[0..len) into out without cutting a UTF-8 sequence. */
static void copy_utf8(char *out, size_t size, const char *src, size_t len)
{
	if (size == 0)
		return;
	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, src, len);
	out[len] = '\0';
}

/* curl's messages start with a capital ("Recv failure: ..."); ours are lowercase. */
static const char *lower_first(char *s)
{
	if (s[0] && isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

/* url without user info or fragment, for messages; a bad URL becomes a placeholder. */
static void url_for_message(const char *url, char *out, size_t size)
{
	CURLU *u = curl_url();
	char *clean = NULL;

	snprintf(out, size, "%s", "(invalid URL)");
	if (!u)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK)
			copy_utf8(out, size, clean, strlen(clean));
	}
	curl_free(clean);
	curl_url_cleanup(u);
}

static void url_host_port(const char *url, char *host, size_t size, long *port)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;

	snprintf(host, size, "%s", "?");
	*port = 0;
	if (!u)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
			copy_utf8(host, size, h, strlen(h));
		if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK)
			*port = strtol(p, NULL, 10);
	}
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
}

static int is_https(const char *url)
{
	return url && !strncasecmp(url, "https:", 6);
}

/* ---- TLS facts ---------------------------------------------------------------------- */

static void name_rfc2253(const X509_NAME *name, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	out[0] = '\0';
	if (!b)
		return;
	/* RFC 2253 escaping, but UTF-8 kept readable rather than \C3\A9 */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &data);
		if (len > 0 && data)
			copy_utf8(out, size, data, (size_t)len);
	}
	BIO_free(b);
}

static int64_t asn1_time_ms(const ASN1_TIME *t)
{
	struct tm tmv;

	memset(&tmv, 0, sizeof(tmv));
	if (!t || !ASN1_TIME_to_tm(t, &tmv))
		return 0;
	return (int64_t)timegm(&tmv) * 1000;
}

static int64_t chain_earliest(STACK_OF(X509) *chain, int64_t leaf_ms)
{
	int64_t best = leaf_ms, ms;
	int i;

	for (i = 0; chain && i < sk_X509_num(chain); i++) {
		ms = asn1_time_ms(X509_get0_notAfter(sk_X509_value(chain, i)));
		if (ms && (!best || ms < best))
			best = ms;
	}
	return best;
}

/* Trust as libcurl has it: the request's CA file or libcurl's default, plus its CA
 * directory.  Loaded once per multi and file. */
static X509_STORE *ca_store_for(struct transfer *t)
{
	struct ca_store *s;
	char *cafile = NULL, *capath = NULL;

	for (s = t->multi->stores; s; s = s->next)
		if ((!s->cafile && !t->cacert) || (s->cafile && t->cacert && !strcmp(s->cafile, t->cacert)))
			return s->store;
	if (!(s = calloc(1, sizeof(*s))) || dup_string(&s->cafile, t->cacert) ||
	    !(s->store = X509_STORE_new())) {
		if (s)
			free(s->cafile);
		free(s);
		return NULL;
	}
	curl_easy_getinfo(t->easy, CURLINFO_CAINFO, &cafile);
	curl_easy_getinfo(t->easy, CURLINFO_CAPATH, &capath);
	if (t->cacert)
		cafile = t->cacert;
	if (!cafile && !capath)
		X509_STORE_set_default_paths(s->store);
	/* a file that cannot be read leaves the store empty: nothing verifies, truthfully */
	if (cafile)
		X509_STORE_load_file(s->store, cafile);
	if (capath)
		X509_STORE_load_path(s->store, capath);
	s->next = t->multi->stores;
	t->multi->stores = s;
	return s->store;
}

static void set_expected_host(X509_VERIFY_PARAM *param, const char *url)
{
	char host[256];
	unsigned char addr[16];
	long port;
	size_t len;

	url_host_port(url, host, sizeof(host), &port);
	len = strlen(host);
	if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		X509_VERIFY_PARAM_set1_ip_asc(param, host);
	else
		X509_VERIFY_PARAM_set1_host(param, host, 0);
}

/* What libcurl would have said had it verified: chain, validity and host name. */
static void verify_ourselves(struct transfer *t, SSL *ssl, X509 *leaf, struct http_tls *tls)
{
	X509_STORE *store = ca_store_for(t);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	char *url = NULL;
	X509_VERIFY_PARAM *param;

	if (!store || !ctx || !X509_STORE_CTX_init(ctx, store, leaf, SSL_get_peer_cert_chain(ssl))) {
		snprintf(tls->verify_error, sizeof(tls->verify_error), "%s",
			 "not verified: out of memory");
		X509_STORE_CTX_free(ctx);
		return;
	}
	X509_STORE_CTX_set_default(ctx, "ssl_server");
	param = X509_STORE_CTX_get0_param(ctx);
	/* as libcurl: an intermediate in the CA file is a trust anchor */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST);
	if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
		set_expected_host(param, url);
	if (X509_verify_cert(ctx) == 1)
		tls->verified = 1;
	else
		snprintf(tls->verify_error, sizeof(tls->verify_error), "%s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
}

static void read_tls_facts(struct transfer *t)
{
	struct curl_tlssessioninfo *ti = NULL;
	struct http_tls *tls = &t->res->tls;
	SSL *ssl;
	X509 *leaf;

	memset(tls, 0, sizeof(*tls));
	if (curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
	    ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
		return;
	ssl = ti->internals;
	if (!(leaf = SSL_get0_peer_certificate(ssl)))
		return;
	tls->present = 1;
	snprintf(tls->version, sizeof(tls->version), "%s", SSL_get_version(ssl));
	name_rfc2253(X509_get_subject_name(leaf), tls->subject, sizeof(tls->subject));
	name_rfc2253(X509_get_issuer_name(leaf), tls->issuer, sizeof(tls->issuer));
	tls->not_after_ms = asn1_time_ms(X509_get0_notAfter(leaf));
	tls->chain_earliest_not_after_ms = chain_earliest(SSL_get_peer_cert_chain(ssl),
							  tls->not_after_ms);
	if (t->insecure || t->fallback)
		verify_ourselves(t, ssl, leaf, tls);
	else
		tls->verified = 1;  /* libcurl checked chain and host before getting here */
}

/* ---- callbacks ------------------------------------------------------------------------ */

static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
	struct transfer *t = ud;

	(void)ip, (void)local_ip, (void)port, (void)local_port;
	read_tls_facts(t);
	t->stage = ST_WAITING;
	return CURL_PREREQFUNC_OK;
}

static CURLcode on_ssl_ctx(CURL *easy, void *ssl_ctx, void *ud)
{
	struct transfer *t = ud;

	(void)easy, (void)ssl_ctx;
	t->stage = ST_HANDSHAKE;
	t->handshake_ns = tm_monotonic_ns();
	return CURLE_OK;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 1024;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (!(p = realloc(*buf, n)))
		return -1;
	/* PCRE2's JIT may read a few bytes past the body's end; keep them defined */
	memset(p + *cap, 0, n - *cap);
	*buf = p;
	*cap = n;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	struct http_result *r = t->res;
	size_t len = size * n;

	t->stage = ST_BODY;
	if (len > t->max_body - r->body_len) {
		t->too_large = 1;
		return 0;   /* CURLE_WRITE_ERROR: the transfer stops here */
	}
	if (grow(&r->body, &t->body_cap, r->body_len + len + 1) < 0) {
		t->oom = 1;
		return 0;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static void new_response(struct transfer *t)
{
	free_headers(t->res);
	t->headers_cap = 0;
	t->header_bytes = 0;
	t->res->body_len = 0;
	if (t->res->body)
		t->res->body[0] = '\0';
}

static int add_header(struct transfer *t, const char *name, size_t nlen,
		      const char *value, size_t vlen)
{
	struct http_result *r = t->res;
	struct http_header *h;
	char *block;

	if (r->nheaders >= HTTP_MAX_HEADERS || t->header_bytes + nlen + vlen > HTTP_MAX_HEADER_BYTES)
		return 0;   /* dropped, as http.h says */
	if (r->nheaders == t->headers_cap) {
		size_t cap = t->headers_cap ? t->headers_cap * 2 : 8;

		if (!(h = realloc(r->headers, cap * sizeof(*h))))
			return -1;
		r->headers = h;
		t->headers_cap = cap;
	}
	if (!(block = malloc(nlen + vlen + 2)))
		return -1;
	memcpy(block, name, nlen);
	block[nlen] = '\0';
	memcpy(block + nlen + 1, value, vlen);
	block[nlen + 1 + vlen] = '\0';
	r->headers[r->nheaders].name = block;
	r->headers[r->nheaders].value = block + nlen + 1;
	r->nheaders++;
	t->header_bytes += nlen + vlen;
	return 0;
}

/* An obsolete folded line continues the previous header's value. */
static int fold_header(struct transfer *t, const char *more, size_t len)
{
	struct http_header *h;
	size_t nlen, vlen;
	char *block;

	if (!t->res->nheaders || t->header_bytes + len + 1 > HTTP_MAX_HEADER_BYTES)
		return 0;
	h = &t->res->headers[t->res->nheaders - 1];
	nlen = strlen(h->name);
	vlen = strlen(h->value);
	if (!(block = realloc(h->name, nlen + vlen + len + 3)))
		return -1;
	h->name = block;
	h->value = block + nlen + 1;
	h->value[vlen] = ' ';
	memcpy(h->value + vlen + 1, more, len);
	h->value[vlen + 1 + len] = '\0';
	t->header_bytes += len + 1;
	return 0;
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t'))
		(*s)++, (*len)--;
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static int is_followed_redirect(struct transfer *t)
{
	long code = 0;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
	return t->follow && (code == 301 || code == 302 || code == 303 || code == 307 ||
			     code == 308) && http_result_header(t->res, "Location");
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = size * n, vlen;
	const char *colon, *value;
	int rc = 0;

	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
		new_response(t);  /* a 1xx, a redirect's next hop, or the first */
	} else if (len == 0) {
		if (is_followed_redirect(t))
			t->stage = ST_CONNECTING;
	} else if (data[0] == ' ' || data[0] == '\t') {
		value = data;
		vlen = len;
		trim(&value, &vlen);
		rc = fold_header(t, value, vlen);
	} else if ((colon = memchr(data, ':', len)) && colon > data) {
		value = colon + 1;
		vlen = len - (size_t)(value - data);
		trim(&value, &vlen);
		rc = add_header(t, data, (size_t)(colon - data), value, vlen);
	}
	if (rc < 0) {
		t->oom = 1;
		return 0;
	}
	return size * n;
}

/* ---- easy handle setup ------------------------------------------------------------------ */

#define SET(opt, val) do { \
		if ((rc = curl_easy_setopt(t->easy, opt, val)) != CURLE_OK) \
			return rc; \
	} while (0)

/*
 * libcurl's receive buffer is per easy handle, 16 KiB by default: with a thousand
 * transfers in flight those buffers alone are most of the process's memory.  Size them
 * so that all of them together take about RECV_BUFFERS_TOTAL: the full 16 KiB up to 64
 * at once, down to libcurl's minimum of 1 KiB from 1,024 at once.  A smaller buffer
 * only means more reads for a large body, never a different result.
 */
#define RECV_BUFFERS_TOTAL (1L << 20)
#define RECV_BUFFER_MIN 1024L           /* CURL_MIN_BUFFERSIZE */
#define RECV_BUFFER_MAX 16384L          /* libcurl's default */

static long recv_buffer_size(unsigned max_parallel)
{
	long size = RECV_BUFFERS_TOTAL / (long)(max_parallel ? max_parallel : 1);

	if (size < RECV_BUFFER_MIN)
		return RECV_BUFFER_MIN;
	return size > RECV_BUFFER_MAX ? RECV_BUFFER_MAX : size;
}

/* What the request and its certificate-reading twin share. */
static CURLcode setup_connection(struct transfer *t, const char *url)
{
	CURLcode rc;

	SET(CURLOPT_URL, url);
	SET(CURLOPT_PRIVATE, t);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_BUFFERSIZE, recv_buffer_size(t->multi->max_parallel));
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)t->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	SET(CURLOPT_PREREQFUNCTION, on_prereq);
	SET(CURLOPT_PREREQDATA, t);
	SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	SET(CURLOPT_SSL_CTX_DATA, t);
	SET(CURLOPT_IPRESOLVE, t->ip_version == 4 ? CURL_IPRESOLVE_V4 :
	    t->ip_version == 6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER);
	if (t->resolve)
		SET(CURLOPT_RESOLVE, t->resolve);
	if (t->proxy)
		SET(CURLOPT_PROXY, t->proxy);
	else if (t->connect_only)
		SET(CURLOPT_PROXY, "");   /* a tcp:// or tls:// probe means that very address */
	if (t->cacert)
		SET(CURLOPT_CAINFO, t->cacert);
	if (t->cert)
		SET(CURLOPT_SSLCERT, t->cert);
	if (t->key)
		SET(CURLOPT_SSLKEY, t->key);
	return CURLE_OK;
}

static CURLcode setup_method(struct transfer *t)
{
	const char *method = t->method ? t->method : t->has_body ? "POST" : "GET";
	CURLcode rc;

	if (t->has_body) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
		SET(CURLOPT_POSTFIELDS, t->body);
	} else if (!strcmp(method, "POST")) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		SET(CURLOPT_POSTFIELDS, "");
	}
	if (!strcmp(method, "HEAD"))
		SET(CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "GET") && !t->has_body)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") != 0)
		SET(CURLOPT_CUSTOMREQUEST, method);
	return CURLE_OK;
}

static CURLcode setup_request(struct transfer *t)
{
	CURLcode rc;

	if ((rc = setup_connection(t, t->url)) != CURLE_OK)
		return rc;
	SET(CURLOPT_ERRORBUFFER, t->errbuf);
	SET(CURLOPT_SSL_VERIFYPEER, t->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, t->insecure ? 0L : 2L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	if (t->connect_only)
		return curl_easy_setopt(t->easy, CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max_body);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_HTTPHEADER, t->headers);
	SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	if (t->follow) {
		SET(CURLOPT_FOLLOWLOCATION, 1L);
		SET(CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS);
	}
	return setup_method(t);
}

/* The twin: handshake only, verification off, nothing sent; on_prereq reads the facts. */
static CURLcode setup_fallback(struct transfer *t, const char *url)
{
	CURLcode rc;

	if ((rc = setup_connection(t, url)) != CURLE_OK)
		return rc;
	SET(CURLOPT_SSL_VERIFYPEER, 0L);
	SET(CURLOPT_SSL_VERIFYHOST, 0L);
	SET(CURLOPT_CONNECT_ONLY, 1L);
	return CURLE_OK;
}

#undef SET

/* ---- finishing a transfer ------------------------------------------------------------------ */

struct walk {
	curl_off_t at, end;
	int stopped;
};

/* The phase that ends at mark starts where the previous one ended.  A mark of 0 means
 * the transfer never got there: this phase takes the rest of the time, later ones none. */
static double walk_phase(struct walk *w, curl_off_t mark)
{
	curl_off_t d;

	if (w->stopped)
		return 0;
	if (mark <= 0) {
		w->stopped = 1;
		mark = w->end;
	}
	d = mark - w->at;
	if (mark > w->at)
		w->at = mark;
	return d > 0 ? (double)d / 1000.0 : 0;
}

static curl_off_t info_us(CURL *easy, CURLINFO what)
{
	curl_off_t v = 0;

	return curl_easy_getinfo(easy, what, &v) == CURLE_OK && v > 0 ? v : 0;
}

static void fill_timing(struct transfer *t, int64_t now_ns)
{
	struct http_timing *tm = &t->res->timing;
	curl_off_t n = info_us(t->easy, CURLINFO_NAMELOOKUP_TIME_T);
	curl_off_t c = info_us(t->easy, CURLINFO_CONNECT_TIME_T);
	curl_off_t a = info_us(t->easy, CURLINFO_APPCONNECT_TIME_T);
	curl_off_t p = info_us(t->easy, CURLINFO_PRETRANSFER_TIME_T);
	curl_off_t s = info_us(t->easy, CURLINFO_STARTTRANSFER_TIME_T);
	curl_off_t total = info_us(t->easy, CURLINFO_TOTAL_TIME_T);
	struct walk w = { 0, total, 0 };
	int tls = a > 0 || is_https(t->where);

	/* libcurl 7.88 records no connect time when the handshake fails: place the end
	 * of TCP where our SSL_CTX callback saw the handshake begin */
	if (tls && !c && !a && t->stage == ST_HANDSHAKE && !t->res->redirects && n) {
		curl_off_t hs = (curl_off_t)((now_ns - t->handshake_ns) / 1000);

		c = total - (hs < 0 ? 0 : hs);
		if (c < n)
			c = n;
	}
	tm->dns = walk_phase(&w, n);
	tm->connect = walk_phase(&w, c);
	tm->tls = tls ? walk_phase(&w, a) : 0;
	if (!w.stopped && p > w.at)
		w.at = p;   /* preparing the request belongs to no phase */
	tm->ttfb = t->connect_only ? 0 : walk_phase(&w, s);
	tm->transfer = t->connect_only ? 0 : walk_phase(&w, total);
	tm->total = (double)total / 1000.0;
	t->namelookup_us = n;
}

static const char *http_version_name(long v)
{
	switch (v) {
	case CURL_HTTP_VERSION_1_0: return "HTTP/1.0";
	case CURL_HTTP_VERSION_1_1: return "HTTP/1.1";
	case CURL_HTTP_VERSION_2_0: return "HTTP/2";
	case CURL_HTTP_VERSION_3: return "HTTP/3";
	default: return "";
	}
}

/* Retry-After: delta-seconds or an HTTP-date (RFC 9110 10.2.3); -1 if absent or bad. */
static double parse_retry_after(const char *v)
{
	char *end;
	long long secs;
	time_t when;

	if (!v || !*v)
		return -1;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		secs = strtoll(v, &end, 10);
		if (*end || errno == ERANGE)
			return -1;
		return (double)secs;
	}
	when = curl_getdate(v, NULL);
	if (when == (time_t)-1)
		return -1;
	return when > time(NULL) ? difftime(when, time(NULL)) : 0;
}

static void collect_info(struct transfer *t)
{
	struct http_result *r = t->res;
	long v = 0;
	char *s = NULL;

	curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT, &r->redirects);
	if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s) {
		/* before a redirect the effective URL is the real one, secrets and all */
		if (r->redirects > 0 || !t->display_url)
			url_for_message(s, t->where, sizeof(t->where));
		url_host_port(s, t->host, sizeof(t->host), &t->port);
	}
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status && curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &v) == CURLE_OK)
		snprintf(r->version, sizeof(r->version), "%s", http_version_name(v));
	s = NULL;
	if (curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s)
		snprintf(r->ip, sizeof(r->ip), "%s", s);
	curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_PORT, &r->port);
	curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &t->os_errno);
	fill_timing(t, tm_monotonic_ns());
	r->retry_after_s = parse_retry_after(http_result_header(r, "Retry-After"));
}

static int is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR: case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT: case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

/* curl's own words for what went wrong, lowercased, or its generic text. */
static const char *curl_detail(struct transfer *t, CURLcode rc)
{
	static const char prefix[] = "SSL certificate problem: ";
	char *d = t->errbuf;

	if (!*d)
		snprintf(t->errbuf, sizeof(t->errbuf), "%s", curl_easy_strerror(rc));
	if (!strncmp(d, prefix, sizeof(prefix) - 1))
		d += sizeof(prefix) - 1;
	return lower_first(d);
}

static void timeout_message(struct transfer *t)
{
	struct srerr *e = &t->res->err;
	long ms = (long)(t->stage < ST_WAITING ? t->connect_timeout_ms : t->timeout_ms);

	switch (t->stage) {
	case ST_CONNECTING:
		if (!t->namelookup_us && !t->res->redirects)
			srerr_set(e, "timeout", "timeout after %ld ms resolving host '%s'", ms, t->host);
		else
			srerr_set(e, "timeout", "timeout after %ld ms connecting to %s port %ld",
				  ms, t->host, t->port);
		break;
	case ST_HANDSHAKE:
		srerr_set(e, "timeout", "timeout after %ld ms in the tls handshake with %s port %ld",
			  ms, t->host, t->port);
		break;
	case ST_WAITING:
		srerr_set(e, "timeout", "timeout after %ld ms waiting for the response from %s",
			  ms, t->where);
		break;
	case ST_BODY:
		srerr_set(e, "timeout", "timeout after %ld ms reading the response body from %s",
			  ms, t->where);
		break;
	}
}

static void tls_message(struct transfer *t, CURLcode rc)
{
	struct http_tls *tls = &t->res->tls;

	if (rc != CURLE_PEER_FAILED_VERIFICATION) {
		srerr_set(&t->res->err, "tls", "tls handshake with %s port %ld failed: %s",
			  t->host, t->port, curl_detail(t, rc));
		return;
	}
	/* the certificate was read by the fallback: its reason, else libcurl's */
	tls->verified = 0;
	if (!tls->verify_error[0])
		snprintf(tls->verify_error, sizeof(tls->verify_error), "%s", curl_detail(t, rc));
	srerr_set(&t->res->err, "tls", "certificate verification failed for %s port %ld: %s",
		  t->host, t->port, tls->verify_error);
}

static void too_many_message(struct transfer *t)
{
	char first[512];

	url_for_message(t->display_url ? t->display_url : t->url, first, sizeof(first));
	srerr_set(&t->res->err, "too_many_redirects", "too many redirects from %s: more than %d",
		  first, HTTP_MAX_REDIRECTS);
}

static void redirect_refused_message(struct transfer *t)
{
	/* libcurl counted the redirect it then refused to follow */
	if (t->res->redirects > 0)
		t->res->redirects--;
	srerr_set(&t->res->err, "redirect_refused",
		  "redirect to '%s' refused: only http and https are followed", t->where);
}

static void error_message(struct transfer *t, CURLcode rc)
{
	struct srerr *e = &t->res->err;

	if (t->oom || rc == CURLE_OUT_OF_MEMORY)
		srerr_set(e, "io", "request to %s failed: out of memory", t->where);
	else if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		srerr_set(e, "body_too_large", "response body from %s exceeds the limit of %zu bytes",
			  t->where, t->max_body);
	else if (rc == CURLE_COULDNT_RESOLVE_HOST)
		srerr_set(e, "dns", "could not resolve host '%s'", t->host);
	else if (rc == CURLE_COULDNT_RESOLVE_PROXY)
		srerr_set(e, "dns", "could not resolve the proxy: %s", curl_detail(t, rc));
	else if (rc == CURLE_COULDNT_CONNECT)
		srerr_set(e, "connect", "connect to %s port %ld failed: %s", t->host, t->port,
			  t->os_errno ? strerror((int)t->os_errno) : curl_detail(t, rc));
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		timeout_message(t);
	else if (rc == CURLE_UNSUPPORTED_PROTOCOL)  /* the URL itself was checked on add */
		redirect_refused_message(t);
	else if (rc == CURLE_TOO_MANY_REDIRECTS)
		too_many_message(t);
	else if (is_tls_error(rc))
		tls_message(t, rc);
	else if (rc == CURLE_BAD_FUNCTION_ARGUMENT || rc == CURLE_NOT_BUILT_IN ||
		 rc == CURLE_UNKNOWN_OPTION || rc == CURLE_FAILED_INIT || rc == CURLE_WRITE_ERROR)
		srerr_set(e, "io", "request to %s failed: %s", t->where, curl_detail(t, rc));
	else
		srerr_set(e, "protocol", "request to %s failed: %s", t->where, curl_detail(t, rc));
	t->res->failed = 1;
}

static void move_to_done(struct transfer *t);

static void drop_easy(struct transfer *t)
{
	if (!t->easy)
		return;
	curl_multi_remove_handle(t->multi->curlm, t->easy);
	curl_easy_cleanup(t->easy);
	t->easy = NULL;
}

/* Certificate refused: one handshake-only connection with verification off, to tell
 * why.  0 if it started (the transfer keeps its slot), -1 if not. */
static int start_fallback(struct transfer *t)
{
	char *url = NULL, *copy;

	if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || !url ||
	    !(copy = strdup(url)))
		return -1;
	drop_easy(t);
	t->fallback = 1;
	if (!(t->easy = curl_easy_init()) || setup_fallback(t, copy) != CURLE_OK ||
	    curl_multi_add_handle(t->multi->curlm, t->easy) != CURLM_OK) {
		free(copy);
		drop_easy(t);
		return -1;
	}
	free(copy);
	return 0;
}

/* A transfer's easy handle finished with rc.  Returns 1 when a fallback started. */
static int finish(struct transfer *t, CURLcode rc)
{
	if (t->fallback) {
		/* whatever the twin saw, the request's own outcome stands */
		drop_easy(t);
		error_message(t, t->rc);
		move_to_done(t);
		return 0;
	}
	collect_info(t);
	if (rc == CURLE_OK && !t->oom) {
		drop_easy(t);
		move_to_done(t);
		return 0;
	}
	t->rc = rc;
	if (rc == CURLE_PEER_FAILED_VERIFICATION && start_fallback(t) == 0)
		return 1;
	drop_easy(t);
	error_message(t, rc);
	move_to_done(t);
	return 0;
}

/* ---- the multi ------------------------------------------------------------------------------ */

static void list_unlink_running(struct http_multi *m, struct transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		m->running = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

static void move_to_done(struct transfer *t)
{
	struct http_multi *m = t->multi;

	list_unlink_running(m, t);
	m->active--;
	if (!t->res->body && (t->res->body = malloc(1)))
		t->res->body[0] = '\0';
	if (!t->res->body && !t->res->failed) {
		t->res->failed = 1;
		srerr_set(&t->res->err, "io", "out of memory");
	}
	if (m->done_tail)
		m->done_tail->next = t;
	else
		m->done = t;
	m->done_tail = t;
}

/* Take the transfer from the queue head, give it a result and an easy handle. */
static void start_one(struct http_multi *m)
{
	struct transfer *t = m->queue;

	m->queue = t->next;
	if (!m->queue)
		m->queue_tail = NULL;
	t->next = m->running;
	t->prev = NULL;
	if (m->running)
		m->running->prev = t;
	m->running = t;
	m->active++;
	t->res->start_ms = tm_now_ms();
	url_for_message(t->display_url ? t->display_url : t->url, t->where, sizeof(t->where));
	url_host_port(t->url, t->host, sizeof(t->host), &t->port);
	if (!(t->easy = curl_easy_init()) || setup_request(t) != CURLE_OK ||
	    curl_multi_add_handle(m->curlm, t->easy) != CURLM_OK) {
		drop_easy(t);
		t->res->failed = 1;
		srerr_set(&t->res->err, "io", "cannot set up the request to %s", t->where);
		move_to_done(t);
	}
}

static unsigned fill_slots(struct http_multi *m)
{
	unsigned started = 0;

	while (m->queue && m->active < m->max_parallel) {
		start_one(m);
		started++;
	}
	return started;
}

/* Finished easy handles: results to the done list.  Returns how many fallbacks began. */
static unsigned collect(struct http_multi *m)
{
	CURLMsg *msg;
	int left;
	unsigned started = 0;
	struct transfer *t;
	void *priv;

	while ((msg = curl_multi_info_read(m->curlm, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((t = priv))
			started += (unsigned)finish(t, msg->data.result);
	}
	return started;
}

struct http_multi *http_multi_new(unsigned max_parallel, struct srerr *e)
{
	struct http_multi *m;

	if (http_global_init(e) < 0)
		return NULL;
	if (!(m = calloc(1, sizeof(*m))) || !(m->curlm = curl_multi_init())) {
		free(m);
		srerr_set(e, "io", "out of memory");
		return NULL;
	}
	m->max_parallel = max_parallel ? max_parallel : DEFAULT_PARALLEL;
	return m;
}

static void free_list(struct transfer *t)
{
	struct transfer *next;

	for (; t; t = next) {
		next = t->next;
		transfer_free(t);
	}
}

void http_multi_free(struct http_multi *m)
{
	struct ca_store *s, *next;

	if (!m)
		return;
	free_list(m->queue);
	free_list(m->running);
	free_list(m->done);
	for (s = m->stores; s; s = next) {
		next = s->next;
		X509_STORE_free(s->store);
		free(s->cafile);
		free(s);
	}
	curl_multi_cleanup(m->curlm);
	free(m);
}

int http_multi_add(struct http_multi *m, const struct http_request *req, struct srerr *e)
{
	struct transfer *t;

	if (http_request_check(req, e) < 0)
		return -1;
	if (!(t = transfer_new(m, req))) {
		srerr_set(e, "io", "out of memory");
		return -1;
	}
	if (m->queue_tail)
		m->queue_tail->next = t;
	else
		m->queue = t;
	m->queue_tail = t;
	m->pending++;
	fill_slots(m);
	return 0;
}

size_t http_multi_pending(const struct http_multi *m)
{
	return m ? m->pending : 0;
}

/* Run libcurl until it has nothing more to do without waiting. */
static int drive(struct http_multi *m, struct srerr *e)
{
	CURLMcode mc;
	int running;

	do {
		mc = curl_multi_perform(m->curlm, &running);
		if (mc != CURLM_OK) {
			srerr_set(e, "io", "libcurl multi handle failed: %s", curl_multi_strerror(mc));
			return -1;
		}
	} while (collect(m) + fill_slots(m) > 0);
	return 0;
}

int http_multi_wait(struct http_multi *m, struct curl_waitfd *extra, unsigned nextra,
		    int timeout_ms, struct srerr *e)
{
	CURLMcode mc;

	fill_slots(m);
	if (m->done || timeout_ms < 0)
		timeout_ms = 0;  /* results are waiting: do not sleep on top of them */
	mc = curl_multi_poll(m->curlm, extra, nextra, timeout_ms, NULL);
	if (mc != CURLM_OK) {
		srerr_set(e, "io", "libcurl multi handle failed: %s", curl_multi_strerror(mc));
		return -1;
	}
	return drive(m, e);
}

struct http_result *http_multi_next_done(struct http_multi *m)
{
	struct transfer *t;
	struct http_result *r;

	if (!m || !(t = m->done))
		return NULL;
	m->done = t->next;
	if (!m->done)
		m->done_tail = NULL;
	m->pending--;
	r = t->res;
	t->res = NULL;
	transfer_free(t);
	return r;
}

struct http_result *http_fetch(const struct http_request *req, struct srerr *e)
{
	struct http_multi *m = http_multi_new(1, e);
	struct http_result *r = NULL;

	if (!m)
		return NULL;
	if (http_multi_add(m, req, e) == 0)
		while (!(r = http_multi_next_done(m)))
			if (http_multi_wait(m, NULL, 0, 1000, e) < 0)
				break;
	http_multi_free(m);
	return r;
}
