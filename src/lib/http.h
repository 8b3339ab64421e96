#ifndef SRETOOLS_HTTP_H
#define SRETOOLS_HTTP_H
/*
 * HTTP(S) through libcurl with the hardening rules of DESIGN.md applied once, here:
 * http and https only (also for redirects), at most HTTP_MAX_REDIRECTS redirects and
 * only when asked, connect and total timeouts always set, CURLOPT_NOSIGNAL, TLS
 * verification on unless the request says insecure, the body capped in the write
 * callback, and no CR or LF accepted in a header line.
 *
 * Many requests at once go through a multi handle whose loop the caller drives, so
 * that a command can wait on its own descriptors (child processes, timers) as well:
 *
 *	struct http_multi *m = http_multi_new(32, &e);
 *	http_multi_add(m, &req, &e);              // as many as needed; queued past 32
 *	while (http_multi_pending(m) > 0) {
 *		http_multi_wait(m, extra_fds, nextra, 1000, &e);
 *		struct http_result *r;
 *		while ((r = http_multi_next_done(m)))
 *			... use r ...; http_result_free(r);
 *	}
 *	http_multi_free(m);
 *
 * http_fetch() is the one-request form (e.g. probe --push).
 *
 * Timing: every phase is a delta in milliseconds with microsecond precision, from
 * libcurl's *_TIME_T values, never cumulative: dns (name lookup), connect (TCP),
 * tls (handshake), ttfb (request sent to first response byte: server processing),
 * transfer (first byte to last), total (whole transfer, including redirects).
 * A phase that did not happen is 0; none is negative.  When a transfer fails, the
 * phase it failed in gets the time from its start to the end and later phases are 0,
 * so the phases still add up to total (a refused connection: dns + connect).
 * With redirects, each phase is the sum of that phase over every request of the
 * chain (libcurl accumulates them), total covers the whole chain; the phases add up
 * to total up to the microseconds between requests.
 * A connect_only transfer has dns, connect and (https) tls; ttfb and transfer are 0.
 *
 * Every transfer uses a fresh connection, no DNS cache and no TLS session
 * resumption, so each result measures a full lookup, connect and handshake and
 * reports the certificate it was actually given.
 *
 * TLS facts are reported even when verification failed or insecure was set: when the
 * verified handshake fails on the certificate, the module makes one more connection,
 * handshake only, with verification off, to read the certificate, and reports
 * verified = 0 with the reason.  No request (and so no header or body, no secret) is
 * ever sent over an unverified connection unless the request says insecure.  Where
 * libcurl did not verify (insecure, and that extra connection) the module verifies
 * the presented chain itself (OpenSSL, the same CA file and directory libcurl uses,
 * the URL's host name or IP), so verified and verify_error tell the truth.
 *
 * Link with -lssl -lcrypto besides -lcurl (the TLS facts come from libcurl's
 * OpenSSL SSL pointer).
 */
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "srerr.h"

#define HTTP_MAX_REDIRECTS 5
#define HTTP_DEFAULT_TIMEOUT_MS 5000
#define HTTP_DEFAULT_MAX_BODY (1u << 20)   /* 1 MiB */
#define HTTP_MAX_HEADERS 100              /* response headers kept; more are dropped */
#define HTTP_MAX_HEADER_BYTES (64u << 10)  /* and at most this many bytes of them */

struct http_request {
	const char *url;                /* http:// or https:// */
	const char *display_url;        /* the URL for messages, as the user wrote it (e.g.
					   with {{NAME}} where url has a secret): error
					   messages name it (user info removed) instead of
					   url, until a redirect gives the server's URL;
					   NULL: url */
	const char *method;             /* NULL: GET, or POST when body is set */
	const char *const *headers;     /* "Name: value" lines; nheaders of them */
	size_t nheaders;
	const void *body;               /* request body or NULL */
	size_t body_len;
	int64_t timeout_ms;             /* whole transfer; 0: HTTP_DEFAULT_TIMEOUT_MS */
	int64_t connect_timeout_ms;     /* 0: the total timeout */
	int follow;                     /* follow redirects (http/https only, at most 5) */
	int insecure;                   /* do not verify the peer (explicit only) */
	int ip_version;                 /* 0 any, 4 or 6 */
	const char *cacert;             /* CA bundle file or NULL for the system's */
	const char *cert, *key;         /* client certificate and key (PEM) or NULL */
	const char *proxy;              /* NULL: the usual environment variables apply */
	const char *const *resolve;     /* "HOST:PORT:ADDR" pins; nresolve of them */
	size_t nresolve;
	size_t max_body;                /* 0: HTTP_DEFAULT_MAX_BODY; more is an error */
	int connect_only;               /* connect (and for https:// handshake), send nothing:
					   tcp:// and tls:// probes; the proxy environment
					   variables do not apply (proxy still does) */
	void *user;                     /* returned untouched in the result */
};

struct http_timing {
	double dns, connect, tls, ttfb, transfer, total;  /* ms, deltas */
};

struct http_tls {
	int present;                    /* a TLS handshake completed (verified or not) */
	int verified;                   /* chain and host name verified */
	char verify_error[160];         /* why not, e.g. "certificate has expired"; "" if verified */
	char version[16];               /* "TLSv1.3" */
	char subject[256];              /* leaf subject, RFC 2253 ("CN=localhost") */
	char issuer[256];               /* leaf issuer */
	int64_t not_after_ms;           /* leaf notAfter, ms since the epoch */
	int64_t chain_earliest_not_after_ms;  /* earliest notAfter in the presented chain */
};

struct http_header {
	char *name;                     /* as received */
	char *value;                    /* trimmed */
};

struct http_result {
	void *user;                     /* from the request */
	int failed;                     /* no complete HTTP response (connect_only: no
					   connection/handshake): err says why */
	struct srerr err;               /* codes: dns connect tls timeout body_too_large
					   redirect_refused too_many_redirects protocol
					   (the exchange broke: empty reply, reset,
					   truncated body, bad redirect URL) io (local:
					   out of memory, libcurl itself); messages are
					   one line and name the host or URL (the
					   request's display_url before any redirect, user
					   info removed), never a header value */
	long status;                    /* final response status, 0 if none; kept when
					   the transfer failed later (body too large,
					   timeout in the body) */
	char version[16];               /* "HTTP/1.1", "HTTP/2" */
	struct http_header *headers;    /* of the final response */
	size_t nheaders;
	char *body;                     /* NUL-terminated for convenience; body_len bytes;
					   never NULL ("" when there was no body) */
	size_t body_len;
	long redirects;                 /* redirects followed */
	char ip[64];                    /* peer address */
	long port;
	struct http_timing timing;
	struct http_tls tls;
	double retry_after_s;           /* Retry-After in seconds (delta or date); -1 if none */
	int64_t start_ms;               /* wall clock when the transfer started (left
					   the queue), ms since the epoch */
};

/* Global libcurl setup; call once before anything else and before starting threads
   (http_multi_new calls it; later calls do nothing). */
int http_global_init(struct srerr *e);

/*
 * Check a request before use: URL scheme http/https, no CR/LF/NUL in header lines or
 * the method, a header line of the form "Name: value".  The module checks again on add.
 * Returns 0, or -1 and e with code "invalid_request"; the message names a header by
 * its name only, never its value.
 */
int http_request_check(const struct http_request *req, struct srerr *e);

struct http_multi;

/* A multi handle running at most max_parallel transfers at once (0: 32). */
struct http_multi *http_multi_new(unsigned max_parallel, struct srerr *e);
void http_multi_free(struct http_multi *m);

/* Queue a request; every string and buffer in req is copied.  -1 and e if invalid. */
int http_multi_add(struct http_multi *m, const struct http_request *req, struct srerr *e);

/* Requests added and not yet returned by http_multi_next_done. */
size_t http_multi_pending(const struct http_multi *m);

/*
 * Drive the transfers: wait at most timeout_ms for activity on them or on the caller's
 * extra descriptors (curl_waitfd: fd, events; revents is filled), then make progress.
 * Returns 0, or -1 and e on a libcurl failure of the multi handle itself.
 */
int http_multi_wait(struct http_multi *m, struct curl_waitfd *extra, unsigned nextra,
		    int timeout_ms, struct srerr *e);

/* A finished transfer, or NULL when none is waiting; the caller frees it. */
struct http_result *http_multi_next_done(struct http_multi *m);

void http_result_free(struct http_result *r);

/* The first header of the result with this name (case-insensitive), or NULL. */
const char *http_result_header(const struct http_result *r, const char *name);

/* One request, synchronously.  Returns the result (check ->failed), NULL and e only if
   the request is invalid, memory ran out or libcurl's multi handle failed. */
struct http_result *http_fetch(const struct http_request *req, struct srerr *e);

/*
 * Whether a header (a name, or a "Name: value" line) always carries a secret that must
 * print as "***": Authorization, Proxy-Authorization, Cookie, Set-Cookie.
 */
int http_header_is_secret(const char *name_or_line);

#endif
