#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "tm.h"
#include "banned.h"

#define MS_PER_DAY 86400000.0

void obs_init(struct probe_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->retry_after_s = -1;
	o->addresses = jv_invalid();
}

void obs_release(struct probe_obs *o)
{
	jv_free(o->addresses);
	o->addresses = jv_invalid();
}

/* The record's code for an http module failure. */
static const char *http_code(const struct http_result *r)
{
	static const char *const same[] = {
		"dns", "connect", "timeout", "body_too_large", "redirect_refused",
		"too_many_redirects", "protocol",
	};

	if (strcmp(r->err.code, "tls") == 0)
		return r->tls.present && !r->tls.verified ? "tls_verify" : "tls";
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (strcmp(r->err.code, same[i]) == 0)
			return same[i];
	if (strcmp(r->err.code, "invalid_request") == 0)
		return "invalid_spec";
	return "protocol";
}

void obs_from_http(struct probe_obs *o, const struct http_result *r)
{
	o->start_ms = r->start_ms;
	o->duration_ms = r->timing.total;
	o->has_timing = 1;
	o->timing = r->timing;
	snprintf(o->ip, sizeof(o->ip), "%s", r->ip);
	o->tls = r->tls;
	o->retry_after_s = r->retry_after_s;
	o->http = r;
	if (r->failed) {
		o->failed = 1;
		srerr_set(&o->error, http_code(r), "%s", r->err.msg);
	}
	if (r->status > 0) {
		o->has_http = 1;
		o->status = r->status;
		snprintf(o->version, sizeof(o->version), "%s", r->version);
		o->bytes = r->body_len;
		o->redirects = r->redirects;
	}
}

void obs_from_exec(struct probe_obs *o, const struct exec_outcome *x, int64_t timeout_ms)
{
	char d[TM_DURATION_SIZE];

	o->has_exec = 1;
	o->exec = *x;
	o->duration_ms = x->elapsed_ms;
	if (timeout_ms > 0) {
		o->failed = 1;
		srerr_set(&o->error, "exec_timeout", "command timed out after %s and was killed",
			  tm_format_duration(timeout_ms, d));
	} else if (x->signal) {
		o->failed = 1;
		srerr_set(&o->error, "exec_failed", "command killed by signal %s",
			  sigabbrev_np(x->signal) ? sigabbrev_np(x->signal) : "?");
	} else if (x->status != 0) {
		o->failed = 1;
		srerr_set(&o->error, "exec_failed", "command exited with status %d", x->status);
	}
}

double obs_days_left(const struct probe_obs *o, int64_t now_ms)
{
	int64_t na = o->tls.chain_earliest_not_after_ms ? o->tls.chain_earliest_not_after_ms
							 : o->tls.not_after_ms;

	return (double)(na - now_ms) / MS_PER_DAY;
}

void obs_check_input(const struct probe_obs *o, int64_t now_ms, struct check_input *in)
{
	memset(in, 0, sizeof(*in));
	in->has_status = o->has_http && !o->failed;
	in->status = o->status;
	if (o->http) {
		in->headers = o->http->headers;
		in->nheaders = o->http->nheaders;
		in->body = o->http->body;
		in->body_len = o->http->body_len;
	}
	in->total_ms = o->duration_ms;
	in->has_cert = o->tls.present && (o->tls.not_after_ms || o->tls.chain_earliest_not_after_ms);
	in->days_left = in->has_cert ? obs_days_left(o, now_ms) : 0;
}

static double round3(double ms)
{
	return round(ms * 1000) / 1000;
}

static jv set(jv obj, const char *key, jv value)
{
	return jv_object_set(obj, jv_string(key), value);
}

static jv timing_json(const struct http_timing *t)
{
	jv j = jv_object();

	j = set(j, "dns", jv_number(round3(t->dns)));
	j = set(j, "connect", jv_number(round3(t->connect)));
	j = set(j, "tls", jv_number(round3(t->tls)));
	j = set(j, "ttfb", jv_number(round3(t->ttfb)));
	j = set(j, "transfer", jv_number(round3(t->transfer)));
	return set(j, "total", jv_number(round3(t->total)));
}

static jv time_string(int64_t ms)
{
	char text[TM_RFC3339_SIZE];

	if (tm_format_rfc3339(ms, text, NULL) == -1)
		return jv_null();
	return jv_string(text);
}

static jv tls_json(const struct http_tls *t, double days_left)
{
	jv j = set(jv_object(), "verified", jv_bool(t->verified));

	if (!t->verified && t->verify_error[0])
		j = set(j, "verify_error", jv_string(t->verify_error));
	j = set(j, "version", jv_string(t->version));
	j = set(j, "subject", jv_string(t->subject));
	j = set(j, "issuer", jv_string(t->issuer));
	if (t->not_after_ms)
		j = set(j, "not_after", time_string(t->not_after_ms));
	if (t->chain_earliest_not_after_ms)
		j = set(j, "chain_earliest_not_after", time_string(t->chain_earliest_not_after_ms));
	if (t->not_after_ms || t->chain_earliest_not_after_ms)
		j = set(j, "days_left", jv_number(round(days_left * 10) / 10));
	return j;
}

static jv http_json(const struct probe_target *t, const struct probe_obs *o)
{
	const char *method = t->req.method ? t->req.method : t->req.body ? "POST" : "GET";
	jv j = set(jv_object(), "method", jv_string(method));

	j = set(j, "status", jv_number((double)o->status));
	j = set(j, "version", jv_string(o->version));
	j = set(j, "bytes", jv_number((double)o->bytes));
	return set(j, "redirects", jv_number((double)o->redirects));
}

static jv exec_json(const struct probe_target *t, const struct exec_outcome *x)
{
	jv j = set(jv_object(), "command", jv_string(t->target));

	if (x->exited)
		j = set(j, "exit", jv_number(x->status));
	if (x->signal)
		j = set(j, "signal", jv_string(sigabbrev_np(x->signal) ? sigabbrev_np(x->signal) : "?"));
	j = set(j, "stdout", jv_string_sized(x->out ? x->out : "", (int)x->out_len));
	return set(j, "stderr", jv_string_sized(x->err ? x->err : "", (int)x->err_len));
}

static jv error_json(const struct srerr *e)
{
	jv j = set(jv_object(), "code", jv_string(e->code));

	return set(j, "message", jv_string(e->msg[0] ? e->msg : e->code));
}

static jv head(const struct probe_target *t, long round, int64_t time_ms)
{
	jv r = set(jv_object(), "kind", jv_string("probe.result"));

	r = set(r, "time", time_string(time_ms));
	r = set(r, "name", jv_string(t->name));
	r = set(r, "target", jv_string(t->target));
	r = set(r, "type", jv_string(probe_type_name(t->type)));
	return set(r, "round", jv_number((double)round));
}

/* The facts of the attempt, after "duration_ms". */
static jv facts(jv r, const struct probe_target *t, const struct probe_obs *o, int64_t now_ms)
{
	if (o->has_timing)
		r = set(r, "timing_ms", timing_json(&o->timing));
	else if (t->type == PROBE_DNS)
		r = set(r, "timing_ms", set(set(jv_object(), "dns", jv_number(round3(o->duration_ms))),
					    "total", jv_number(round3(o->duration_ms))));
	if (o->ip[0])
		r = set(r, "ip", jv_string(o->ip));
	if (o->has_http && t->type == PROBE_HTTP)
		r = set(r, "http", http_json(t, o));
	if (o->tls.present)
		r = set(r, "tls", tls_json(&o->tls, obs_days_left(o, now_ms)));
	if (jv_is_valid(o->addresses))
		r = set(r, "dns", set(jv_object(), "addresses", jv_copy(o->addresses)));
	if (o->has_exec)
		r = set(r, "exec", exec_json(t, &o->exec));
	return r;
}

jv record_build(struct record_info *info, const struct probe_obs *o,
		const struct check_verdict *v, int64_t now_ms)
{
	const struct srerr *err = o->failed ? &o->error : v->failed ? &v->error :
				  v->warned && info->strict ? &v->warning : NULL;
	const char *state = o->failed || v->failed ? "critical" : v->warned ? "warning" : "ok";
	jv r = head(info->t, info->round, info->time_ms);

	r = set(r, "ok", jv_bool(err == NULL));
	r = set(r, "state", jv_string(state));
	r = set(r, "attempts", jv_number(info->attempts));
	if (jv_array_length(jv_copy(info->attempt_errors)) > 0)
		r = set(r, "attempt_errors", info->attempt_errors);
	else
		jv_free(info->attempt_errors);
	info->attempt_errors = jv_invalid();
	r = set(r, "duration_ms", jv_number(round3(o->duration_ms)));
	r = facts(r, info->t, o, now_ms);
	if (jv_array_length(jv_copy(v->checks)) > 0)
		r = set(r, "checks", jv_copy(v->checks));
	if (err)
		r = set(r, "error", error_json(err));
	if (v->warned)
		r = set(r, "warnings", jv_copy(v->warnings));
	return r;
}

jv record_unprobed(const struct probe_target *t, long round, int64_t time_ms,
		   const char *code, const char *message)
{
	struct srerr e;
	jv r = head(t, round, time_ms);

	srerr_set(&e, code, "%s", message);
	r = set(r, "ok", jv_false());
	r = set(r, "state", jv_string("critical"));
	r = set(r, "attempts", jv_number(0));
	return set(r, "error", error_json(&e));
}

int record_ok(jv rec)
{
	jv ok = jv_object_get(jv_copy(rec), jv_string("ok"));
	int yes = jv_get_kind(ok) == JV_KIND_TRUE;

	jv_free(ok);
	return yes;
}

jv record_attempt_error(int attempt, const struct srerr *err)
{
	jv j = set(jv_object(), "attempt", jv_number(attempt));

	j = set(j, "code", jv_string(err->code));
	return set(j, "message", jv_string(err->msg));
}
