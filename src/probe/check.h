#ifndef PROBE_CHECK_H
#define PROBE_CHECK_H
/*
 * What a probe expects of a target, and the verdict on one attempt: the status
 * list, body regex, jq expression, response headers, latency and certificate
 * lifetime (the --expect-*, --max-latency, --cert-min-days, --warn-* options).
 *
 * A failed check makes the state "critical"; a warning threshold crossed makes it
 * "warning" while ok stays true (the caller applies --strict).  Every configured
 * check that applies to the attempt is evaluated and listed, so a record shows all
 * that was wrong, and the first failure (in the order status, header, body, json,
 * latency, cert_expiry) becomes the record's error.
 *
 * Bodies come from the network: they never appear in a verdict beyond a short
 * excerpt without control characters (check_excerpt) on a failed body or json
 * check, the body is parsed (strict JSON, exactly one value) and the jq expression
 * evaluated in jqx's isolated child (jqx_truthy_isolated_text: this process never
 * parses a body), and the regex runs in rx's limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "http.h"
#include "jqx.h"
#include "rx.h"
#include "srerr.h"

#define CHECK_STATUS_MAX 32     /* items in an --expect-status list */
#define CHECK_EXCERPT_MAX 80    /* bytes of a body excerpt, before "..." */

struct check_status_set {
	struct { int lo, hi; } r[CHECK_STATUS_MAX];
	size_t n;
	char text[160];         /* as given, for messages: "200-399" */
};

/*
 * Parse an --expect-status value: comma-separated items, each a status ("200"), a
 * class ("2xx") or a range ("200-399"); statuses 100-999, spaces around items
 * allowed.  Returns 0, or -1 and e (code "usage").
 */
int check_status_parse(const char *s, struct check_status_set *out, struct srerr *e);
/* The default, 200-399. */
void check_status_default(struct check_status_set *out);
/* Whether status is in the set. */
int check_status_match(const struct check_status_set *set, long status);

/*
 * Split an --expect-header value "Name: REGEX" into the name (*name_len bytes at
 * arg) and the pattern (*pattern, after the colon and any spaces; may be empty, which
 * only asks for the header to be there).  -1 and e (code "usage") when there is no
 * colon or the name is not a header name.
 */
int check_header_split(const char *arg, size_t *name_len, const char **pattern,
		       struct srerr *e);

struct check_header {
	const char *name;       /* header name */
	const char *text;       /* "Name: REGEX" as given */
	struct rx *rx;          /* borrowed; matches the value */
};

/* The checks of one target; every pointer is borrowed (see pool.h). */
struct probe_checks {
	struct check_status_set status;
	struct rx *body;                  /* --expect-body, or NULL */
	struct jqx *json;                 /* --expect-json, or NULL */
	const struct check_header *headers;
	size_t nheaders;
	int64_t max_latency_ms;           /* -1: unset */
	int64_t warn_latency_ms;          /* -1: unset */
	double cert_min_days;             /* < 0: unset */
	double warn_cert_days;            /* < 0: unset */
};

/* No checks beyond the default status set. */
void check_init(struct probe_checks *c);

/* What one attempt observed, as far as the checks care. */
struct check_input {
	int has_status;                   /* an HTTP response arrived */
	long status;
	const struct http_header *headers;
	size_t nheaders;
	const char *body;                 /* body_len bytes, not necessarily text */
	size_t body_len;
	double total_ms;                  /* the attempt's duration */
	int has_cert;                     /* a TLS certificate was seen */
	double days_left;                 /* of the earliest expiry in the chain */
	const struct jqx_limits *jq_limits;  /* NULL: jqx's defaults */
};

struct check_verdict {
	jv checks;                /* array of {"check","ok",...}, owned */
	jv warnings;              /* array of {"code","message"}, owned */
	int failed;               /* some check failed: error holds the first */
	int warned;               /* some warning threshold was crossed: warning holds it */
	struct srerr error;
	struct srerr warning;
	int retryable_status;     /* the status check failed on 408, 429 or 5xx */
};

/* Evaluate c against in into v (v's jv fields are created; release with
   check_verdict_release). */
void check_run(const struct probe_checks *c, const struct check_input *in,
	       struct check_verdict *v);
void check_verdict_release(struct check_verdict *v);

/*
 * A short excerpt of data for a message: at most CHECK_EXCERPT_MAX bytes from the
 * start, whole UTF-8 characters, every control character (C0, DEL, C1) and run of
 * whitespace as one space, an invalid byte as '?', "..." when cut.  Into out.
 */
void check_excerpt(const char *data, size_t len, char *out, size_t size);

#endif
