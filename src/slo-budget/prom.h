#ifndef SLO_BUDGET_PROM_H
#define SLO_BUDGET_PROM_H
/*
 * slo-budget's Prometheus source: fill a series of buckets from the HTTP API
 * (GET /api/v1/query_range) of Prometheus, Thanos, Mimir or VictoriaMetrics.
 *
 * Queries.  A query containing {{.window}} (sloth's template, also "{{ .window }}") gets
 * it replaced by the bucket width as a PromQL duration ("1m") and must return the
 * events counted in that window, as one series.  Any other query is taken as a counter
 * selector and wrapped as sum(increase(QUERY[1m])).
 *
 * Instants.  Both queries run with the same start, end and step = the bucket width,
 * at the bucket boundaries T = k step (UTC-aligned, as the buckets are) from the last
 * one at or before now back over slo_span_ms(d), in chunks of at most PROM_MAX_POINTS
 * instants per request.  The value at instant T counts the events of (T - step, T]; it
 * is added at T - step, to the bucket it counts.  So Prometheus data fills whole
 * buckets exactly as events would, a calendar period starts with its own first
 * minute, and the bucket holding now (still in progress) stays empty: a window of W
 * ending at a whole minute counts the W - 1m before it, as for events ("windows are
 * counted in whole buckets").  Points a server returns outside the instants asked for
 * are skipped.
 *
 * Pairing.  The values of the two queries are paired by instant.  good is clamped to
 * [0, total]; with a bad query, good = total - bad clamped to [0, total], and an instant
 * where the bad query has no value but the total query has one counts as bad = 0 (an
 * error counter that never ticked often does not exist at all).  An instant missing
 * from the total query, or from the good query, is a gap: it adds nothing.  Values
 * that are not finite numbers ("NaN", "+Inf", "-Inf": 0/0 in a template query, say)
 * and negative totals are skipped like a gap, and counted.
 *
 * Secrets.  The bearer token and the basic-auth "user:password" go only into the
 * Authorization header; no message ever contains them (a server echoing one back is
 * redacted to "***"), and URLs in messages are shown without their user information.
 *
 * Errors (codes):
 *	prometheus	the server answered, but not with one usable matrix: an HTTP status
 *			other than 200 (with Prometheus' own "error" text when the body has
 *			one), "status":"error", a result type other than matrix, more than one
 *			series, a malformed response
 *	io		the server could not be reached or the transfer failed (connect,
 *			DNS, TLS, timeout, a response larger than PROM_MAX_BODY)
 *	usage		an invalid URL (or one with a query or fragment), an empty query,
 *			a secret with a control character, a basic-auth value without ':'
 *	oom		out of memory
 * Messages name the server by its URL without user information and the query as sent:
 *	prometheus at 'http://h:9090': good query 'sum(increase(x[1m]))' failed: bad_data:
 *	    1:17: parse error: unclosed left parenthesis
 *	prometheus at 'http://h:9090': total query 'increase(x[1m])' returns 2 series;
 *	    aggregate it with sum()
 *	cannot query prometheus at 'http://h:9090': connect to h port 9090 failed: ...
 */
#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

struct slo_def;
struct slo_series;

#define PROM_MAX_POINTS 10000               /* instants per request (Prometheus: 11,000) */
#define PROM_MAX_BODY (64u << 20)           /* one response, bytes */
#define PROM_DEFAULT_TIMEOUT_MS 30000       /* per request, when timeout_ms is 0 */
#define PROM_SECRET_MAX 4096                /* longest token or user:password */

struct prom_stats {
	size_t requests;     /* HTTP requests made */
	size_t instants;     /* instants with a total value */
	size_t added;        /* (good, total) pairs added to the series */
	size_t gaps;         /* instants with a total but no good value */
	size_t skipped;      /* non-finite values, negative totals, points off the instants */
};

struct prom_source {
	const char *url;            /* base URL: http(s)://host:port[/prefix] */
	const char *good_query;     /* exactly one of good_query and bad_query */
	const char *total_query;
	const char *bad_query;
	const char *bearer_token;   /* or NULL; never printed */
	const char *basic_auth;     /* "user:password" or NULL; never printed */
	int64_t timeout_ms;         /* per request; 0: PROM_DEFAULT_TIMEOUT_MS */
	int insecure;               /* do not verify the server's certificate */
	const char *cacert;         /* CA bundle file or NULL */
	struct prom_stats *stats;   /* NULL, or filled by prom_fill */
};

/*
 * Add the good and total counts of the span that d's series keeps, ending at now (ms),
 * to s, as described above.  Returns 0, or -1 and e (nothing more is added after the
 * first error; what was added stays).  The caller may call it for a fresh series only
 * once per source.
 */
int prom_fill(const struct prom_source *p, const struct slo_def *d, int64_t now,
	      struct slo_series *s, struct srerr *e);

/*
 * Read a secret (bearer token, or "user:password") from file path: the whole file
 * without one final "\n" or "\r\n", at most PROM_SECRET_MAX bytes, not empty, no
 * control characters.  Returns a malloc'd string the caller frees (preferably after
 * explicit_bzero), or NULL and e (code "io" when the file cannot be read, "usage"
 * otherwise); messages name the file and what, never the content.  what names the
 * secret in messages ("bearer token").
 */
char *prom_read_secret(const char *path, const char *what, struct srerr *e);

/* ---- the pieces, exposed for the unit tests ------------------------------------------ */

struct prom_point {
	int64_t t;           /* ms since the epoch */
	double v;            /* NaN when the sample was not a finite number */
};

struct prom_matrix {
	struct prom_point *v;   /* n points, in the server's order (ascending time) */
	size_t n;
	size_t series;          /* number of series in the result: 0 or 1 */
};

/*
 * Parse a query_range response body (len bytes) into m (which the caller releases with
 * prom_matrix_release, also after an error).  The body must be strict JSON (the
 * reader's rules: no NaN literal, no leading zeros ...), an object with
 * "status":"success" and "data":{"resultType":"matrix","result":[...]} holding at most
 * one series; its "values" are [seconds, "number"] pairs.  Sample strings "NaN",
 * "+Inf", "-Inf" (and "Inf") become NaN points; anything else that is not a decimal
 * number is an error.  A "status":"error" body gives code "prometheus" with the
 * server's "errorType: error" text.  Returns 0 or -1 and e (code "prometheus", or
 * "oom").  Messages do not name the server; prom_fill prefixes them.
 */
int prom_parse_matrix(const char *body, size_t len, struct prom_matrix *m, struct srerr *e);
void prom_matrix_release(struct prom_matrix *m);

struct prom_pair {
	int64_t t;
	double good, total;
};

/*
 * Pair the points of q (the good query, or the bad one when q_is_bad) with those of
 * total by instant, by the rules above.  Both must be in ascending time order (as
 * Prometheus returns them).  Writes at most total->n pairs to out (room for total->n
 * is needed) and returns how many; stats (may be NULL) gets instants, gaps and
 * skipped added.
 */
size_t prom_pair(const struct prom_matrix *q, const struct prom_matrix *total, int q_is_bad,
		 struct prom_pair *out, struct prom_stats *stats);

/*
 * The query to send: query with every {{.window}} replaced by the duration step_ms
 * (PromQL syntax, "1m", "1m30s", "1s500ms"), or sum(increase(QUERY[STEP])) when query
 * has no {{.window}}.  Returns a malloc'd string, or NULL (out of memory).
 */
char *prom_expand_query(const char *query, int64_t step_ms);

/* Mask in e's message every form of p's credentials (the bearer token, the basic-auth
 * user:password, its base64 and its password) with "***", also a start of one (4
 * bytes or more) cut off by the end of the message or by "...".  e may be NULL. */
void prom_redact(const struct prom_source *p, struct srerr *e);

/* url without its user information ("http://u:p@h:9090/x" -> "http://h:9090/x"), into
 * out (size bytes, cut if longer). */
void prom_display_url(const char *url, char *out, size_t size);

#endif
