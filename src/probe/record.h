#ifndef PROBE_RECORD_H
#define PROBE_RECORD_H
/*
 * What one attempt observed (struct probe_obs, whatever the target type) and how the
 * final attempt of a target in a round becomes its probe.result record (the fields
 * are listed in the record's JSON Schema, share/sretools/schemas/).
 */
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "check.h"
#include "execprobe.h"
#include "http.h"
#include "target.h"

struct probe_obs {
	int64_t start_ms;             /* wall clock when the attempt started */
	double duration_ms;
	int failed;                   /* no usable answer; error says why */
	struct srerr error;           /* a record error code (see the schema) */
	double retry_after_s;         /* from the response; -1 if none */
	/* http, tcp, tls */
	int has_timing;
	struct http_timing timing;
	char ip[64];
	int has_http;
	long status;
	char version[16];
	size_t bytes;
	long redirects;
	const struct http_result *http;   /* borrowed: headers and body for the checks */
	struct http_tls tls;              /* .present when a handshake completed */
	/* dns */
	jv addresses;                 /* owned; jv_invalid() if none */
	/* exec */
	int has_exec;
	struct exec_outcome exec;     /* pointers borrowed from the job */
};

void obs_init(struct probe_obs *o);
void obs_release(struct probe_obs *o);

/* Fill o from an HTTP result (r stays the caller's and must outlive o's use). */
void obs_from_http(struct probe_obs *o, const struct http_result *r);
/* Fill o from a finished command; timeout_ms > 0: it was killed at that timeout. */
void obs_from_exec(struct probe_obs *o, const struct exec_outcome *x, int64_t timeout_ms);

/* Days until the earliest certificate expiry in the chain, seen at now_ms. */
double obs_days_left(const struct probe_obs *o, int64_t now_ms);

/* The check input for o (its pointers borrowed from o). */
void obs_check_input(const struct probe_obs *o, int64_t now_ms, struct check_input *in);

struct record_info {
	const struct probe_target *t;
	long round;
	int64_t time_ms;              /* when the first attempt started */
	int attempts;
	jv attempt_errors;            /* array; consumed by record_build */
	int strict;
};

/*
 * The probe.result record of a target's final attempt o with verdict v.  Consumes
 * info->attempt_errors; the caller owns the result (not yet redacted).
 */
jv record_build(struct record_info *info, const struct probe_obs *o,
		const struct check_verdict *v, int64_t now_ms);

/* The record of a round in which the target was not probed (skipped, or no answer
   before a deadline): ok false, attempts 0, the error code and message given. */
jv record_unprobed(const struct probe_target *t, long round, int64_t time_ms,
		   const char *code, const char *message);

/* Whether a record says ok. */
int record_ok(jv rec);

/* {"attempt": n, "code": ..., "message": ...} for a failed attempt. */
jv record_attempt_error(int attempt, const struct srerr *err);

#endif
