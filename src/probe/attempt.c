/*
 * One attempt of a target: start it by type (HTTP/TCP/TLS through the multi handle,
 * DNS in a thread, a command as a child process), notice its end or its timeout, and
 * decide: retry after a delay, or end the target's round with a record.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "retry.h"
#include "run.h"
#include "tm.h"
#include "banned.h"

#define NS_PER_MS 1000000

/* --expect-json runs in a child the loop waits for: keep a slow expression short */
static const struct jqx_limits jq_limits = { 0, 2, 2000, 0 };

/* The attempt's timeout in ms: the target's, cut to a --wait deadline. */
static int64_t attempt_timeout(const struct engine *en, const struct slot *s, int64_t now_ns)
{
	int64_t ms = s->t->req.timeout_ms > 0 ? s->t->req.timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;

	if (en->deadline_ns) {
		int64_t left = (en->deadline_ns - now_ns) / NS_PER_MS;
		if (left < ms)
			ms = left > 1 ? left : 1;
	}
	return ms;
}

static int64_t retry_delay(struct engine *en, struct slot *s, const struct probe_obs *o,
			   const struct srerr *why, int64_t now_ns)
{
	const struct probe_target *t = s->t;
	int64_t delay;

	if (en->stopping || s->attempts > t->retries ||
	    !retry_is_retryable(probe_type_name(t->type), why->code, o->has_http ? o->status : 0))
		return -1;
	delay = retry_delay_ms(t->retry_delay_ms, s->attempts, engine_random(en), o->retry_after_s);
	if (delay < 0) {
		engine_verbose(en, "%s: Retry-After %.0fs is more than %ds: not retrying", t->name,
			       o->retry_after_s, RETRY_AFTER_MAX_MS / 1000);
		return -1;
	}
	if (en->deadline_ns && now_ns + delay * NS_PER_MS >= en->deadline_ns)
		return -1;
	return delay;
}

static void retry_later(struct engine *en, struct slot *s, const struct srerr *why,
			jv rec, int64_t delay, int64_t now_ns)
{
	jv entry = record_attempt_error(s->attempts, why);
	jv took = jv_object_get(jv_copy(rec), jv_string("duration_ms"));

	/* so that a report can tell the time all attempts took (junit's time) */
	if (jv_get_kind(took) == JV_KIND_NUMBER)
		entry = jv_object_set(entry, jv_string("duration_ms"), took);
	else
		jv_free(took);
	s->attempt_errors = jv_array_append(s->attempt_errors, entry);
	jv_free(s->last);
	s->last = rec;
	s->state = SLOT_BACKOFF;
	s->wake_ns = now_ns + delay * NS_PER_MS;
	engine_verbose(en, "%s: attempt %d failed: %s: %s; retrying in %.1fs", s->t->name,
		       s->attempts, why->code, why->msg, (double)delay / 1000);
}

/* The end of an attempt: check it, then retry or record. */
static void attempt_end(struct engine *en, struct slot *s, struct probe_obs *o)
{
	int64_t now_ms = tm_now_ms(), now_ns = tm_monotonic_ns(), delay = -1;
	struct record_info info = { s->t, s->round, s->time_ms, s->attempts,
				    jv_copy(s->attempt_errors), en->o->strict };
	struct check_input in;
	struct check_verdict v;
	const struct srerr *why;
	jv rec;

	en->active--;
	obs_check_input(o, now_ms, &in);
	in.jq_limits = &jq_limits;
	check_run(&s->t->checks, &in, &v);
	why = o->failed ? &o->error : v.failed ? &v.error : NULL;
	if (why)
		delay = retry_delay(en, s, o, why, now_ns);
	rec = record_build(&info, o, &v, now_ms);
	if (delay >= 0) {
		retry_later(en, s, why, rec, delay, now_ns);
	} else {
		s->state = SLOT_IDLE;
		engine_record(en, s, rec);
	}
	check_verdict_release(&v);
}

/* Give e the record's error code for its failure (the message stays). */
static void set_code(struct srerr *e, const char *code)
{
	snprintf(e->code, sizeof(e->code), "%s", code);
}

/* An attempt that could not even start. */
static void start_failed(struct engine *en, struct slot *s, const struct srerr *e)
{
	struct probe_obs o;

	obs_init(&o);
	o.failed = 1;
	o.error = *e;
	attempt_end(en, s, &o);
	obs_release(&o);
}

static void verbose_start(const struct engine *en, const struct slot *s)
{
	const struct probe_target *t = s->t;

	if (!en->o->cli || en->o->cli->verbose < 2)
		return;
	if (t->type == PROBE_HTTP) {
		engine_verbose(en, "%s: round %ld, attempt %d: %s %s", t->name, s->round, s->attempts,
			       t->req.method ? t->req.method : t->req.body ? "POST" : "GET", t->target);
		for (size_t i = 0; i < t->req.nheaders; i++)
			engine_verbose(en, "%s:   %s", t->name, t->req.headers[i]);
	} else {
		engine_verbose(en, "%s: round %ld, attempt %d: %s %s", t->name, s->round, s->attempts,
			       probe_type_name(t->type), t->type == PROBE_EXEC ? t->command :
			       t->type == PROBE_DNS ? t->dns_name : t->req.url);
	}
}

void attempt_start(struct engine *en, struct slot *s, int64_t now_ns)
{
	const struct probe_target *t = s->t;
	int64_t timeout = attempt_timeout(en, s, now_ns);
	struct http_request req;
	struct srerr e;
	int rc = 0;

	if (++s->attempts == 1)
		s->time_ms = tm_now_ms();
	s->state = SLOT_ACTIVE;
	en->active++;
	verbose_start(en, s);
	s->started_ns = now_ns;
	s->timeout_ms = timeout;
	s->deadline_ns = now_ns + timeout * NS_PER_MS;
	s->kill_ns = 0;
	s->timed_out = 0;
	if (t->type == PROBE_DNS) {
		s->dns = dnsprobe_start(t->dns_name, t->req.ip_version, s, &e);
		rc = s->dns ? 0 : -1;
		if (rc == -1)
			set_code(&e, "dns");
	} else if (t->type == PROBE_EXEC) {
		s->exec = execprobe_start(t->command, EXEC_CAPTURE_MAX, s, &e);
		rc = s->exec ? 0 : -1;
	} else {
		req = t->req;
		req.timeout_ms = timeout;
		if (req.connect_timeout_ms > timeout)
			req.connect_timeout_ms = timeout;
		req.user = s;
		rc = http_multi_add(en->multi, &req, &e);
		if (rc == -1)
			set_code(&e, "invalid_spec");
	}
	if (rc == -1)
		start_failed(en, s, &e);
}

void attempt_http_done(struct engine *en, struct http_result *r)
{
	struct slot *s = r->user;
	struct probe_obs o;

	obs_init(&o);
	obs_from_http(&o, r);
	attempt_end(en, s, &o);
	obs_release(&o);
	http_result_free(r);
}

void attempt_dns_done(struct engine *en, struct dns_job *j)
{
	struct slot *s = dnsprobe_user(j);
	struct probe_obs o;

	obs_init(&o);
	if (dnsprobe_result(j, &o.addresses, &o.duration_ms, &o.error) == -1)
		o.failed = 1;
	s->dns = NULL;
	dnsprobe_free(j);
	attempt_end(en, s, &o);
	obs_release(&o);
}

void attempt_dns_check(struct engine *en, struct slot *s, int64_t now_ns)
{
	struct probe_obs o;
	char d[TM_DURATION_SIZE];

	if (!s->dns || now_ns < s->deadline_ns)
		return;
	dnsprobe_abandon(s->dns);
	s->dns = NULL;
	obs_init(&o);
	o.failed = 1;
	o.duration_ms = (double)(now_ns - s->started_ns) / NS_PER_MS;
	srerr_set(&o.error, "timeout", "resolving '%s' timed out after %s", s->t->dns_name,
		  tm_format_duration(s->timeout_ms, d));
	attempt_end(en, s, &o);
	obs_release(&o);
}

static void exec_finished(struct engine *en, struct slot *s)
{
	struct exec_outcome x;
	struct probe_obs o;

	execprobe_outcome(s->exec, &x);
	obs_init(&o);
	obs_from_exec(&o, &x, s->timed_out ? s->timeout_ms : 0);
	attempt_end(en, s, &o);
	obs_release(&o);
	execprobe_free(s->exec);
	s->exec = NULL;
}

void attempt_exec_check(struct engine *en, struct slot *s, const struct curl_waitfd *fds,
			unsigned nfds, int64_t now_ns)
{
	if (!s->exec)
		return;
	if (execprobe_step(s->exec, fds, nfds)) {
		exec_finished(en, s);
		return;
	}
	if (!s->timed_out && now_ns >= s->deadline_ns) {
		/* the whole group: a shell's children would otherwise live on */
		execprobe_kill(s->exec, SIGTERM);
		s->timed_out = 1;
		s->kill_ns = now_ns + (int64_t)EXEC_KILL_GRACE_MS * NS_PER_MS;
	} else if (s->kill_ns && now_ns >= s->kill_ns) {
		execprobe_kill(s->exec, SIGKILL);
		s->kill_ns = 0;
	}
}
