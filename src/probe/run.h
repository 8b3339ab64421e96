#ifndef PROBE_RUN_H
#define PROBE_RUN_H
/*
 * The engine's internals, shared by engine.c (scheduling, the event loop, modes) and
 * attempt.c (starting an attempt of each type and turning its end into a retry or a
 * record).  Nothing outside those two files includes this.
 */
#include <stdint.h>
#include <jv.h>

#include "dnsprobe.h"
#include "engine.h"
#include "execprobe.h"
#include "http.h"
#include "record.h"

#define EXEC_KILL_GRACE_MS 1000     /* SIGTERM at the timeout, SIGKILL this much later */

enum slot_state {
	SLOT_IDLE,        /* nothing in flight for this target */
	SLOT_READY,       /* queued to start an attempt */
	SLOT_ACTIVE,      /* an attempt in flight */
	SLOT_BACKOFF,     /* waiting to retry */
};

/* One target and its run in the current round (a target has at most one). */
struct slot {
	const struct probe_target *t;
	enum slot_state state;
	long round;
	int64_t time_ms;            /* wall clock of the round's first attempt */
	int attempts;
	jv attempt_errors;          /* array of failed attempts before the last */
	jv last;                    /* the record the run would end with now (retrying,
				       or --wait's last failure); jv_invalid() if none */
	int64_t wake_ns;            /* SLOT_BACKOFF: when to retry */
	int64_t started_ns;         /* the attempt's start */
	int64_t timeout_ms;         /* the attempt's timeout */
	int64_t deadline_ns;        /* dns/exec attempt: when it times out */
	int64_t kill_ns;            /* exec: when SIGKILL follows SIGTERM; 0 if not yet */
	int timed_out;              /* exec: killed at the timeout */
	struct exec_job *exec;
	struct dns_job *dns;
	int done;                   /* --wait: was ok once */
	unsigned fd_off, fd_n;      /* exec: its descriptors in the loop's poll array */
};

struct engine {
	const struct engine_opts *o;
	struct probe_output *out;
	struct slot *slots;
	size_t n;
	struct http_multi *multi;
	unsigned active;            /* attempts in flight */
	size_t *ready;              /* FIFO of slot indexes, capacity n */
	size_t ready_head, ready_len;
	int64_t start_ns;           /* round 0 */
	int64_t interval_ns;        /* between rounds; 0: a single round */
	int64_t deadline_ns;        /* --wait; 0: none */
	long next_round;            /* the next round to start */
	long first_open;            /* the oldest round not yet ended */
	long *open_count;           /* runs of rounds first_open.. not yet recorded */
	size_t open_cap;
	int stopping;               /* a signal came */
	int failed;                 /* the output failed: err says why */
	struct srerr err;
	uint64_t rng;
};

/* attempt.c */
void attempt_start(struct engine *en, struct slot *s, int64_t now_ns);
void attempt_http_done(struct engine *en, struct http_result *r);
void attempt_dns_done(struct engine *en, struct dns_job *j);
void attempt_exec_check(struct engine *en, struct slot *s, const struct curl_waitfd *fds,
			unsigned nfds, int64_t now_ns);
void attempt_dns_check(struct engine *en, struct slot *s, int64_t now_ns);

/* engine.c */
void engine_ready(struct engine *en, struct slot *s);
void engine_record(struct engine *en, struct slot *s, jv rec);
void engine_verbose(const struct engine *en, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
double engine_random(struct engine *en);

#endif
