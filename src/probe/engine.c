/*
 * The event loop and the schedule: rounds, the ready queue and its --parallel limit,
 * backoff wake-ups, timeouts, signals, and where records go (engine.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "run.h"
#include "tm.h"
#include "banned.h"

#define NS_PER_MS INT64_C(1000000)
#define MAX_SLEEP_MS 1000          /* the loop looks around at least this often */
#define POLL_CHILD_MS 50           /* without pidfds, how often to look for exits */

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(signal_pipe[1], &c, 1) < 0) {
		/* full pipe: a signal is already pending */
	}
	errno = saved;
}

static int signals_install(struct srerr *e)
{
	struct sigaction sa;

	if (signal_pipe[0] == -1 && pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		srerr_set(e, "io", "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* the second signal finds the default action back: it ends probe at once */
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

static void signals_restore(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

#define VERBOSE_MAX 1024   /* a verbose line is cut here, after redaction */

void engine_verbose(const struct engine *en, const char *fmt, ...)
{
	char *msg = NULL, *shown;
	va_list ap;
	int n;

	if (!en->o->cli || !en->o->cli->verbose)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* redact the whole line first: a cut could split a secret and hide it from redaction */
	shown = secret_redact(en->o->secrets, msg);
	cli_info(en->o->cli, "%.*s", VERBOSE_MAX, shown);
	free(shown);
	free(msg);
}

double engine_random(struct engine *en)
{
	/* xorshift64*: jitter needs spread, not secrecy */
	en->rng ^= en->rng >> 12;
	en->rng ^= en->rng << 25;
	en->rng ^= en->rng >> 27;
	return (double)((en->rng * UINT64_C(2685821657736338717)) >> 11) / (double)(UINT64_C(1) << 53);
}

static void seed(struct engine *en)
{
	if (getrandom(&en->rng, sizeof(en->rng), GRND_NONBLOCK) != (ssize_t)sizeof(en->rng))
		en->rng = (uint64_t)tm_monotonic_ns() ^ ((uint64_t)getpid() << 32);
	if (!en->rng)
		en->rng = 1;
}

/* ---- records and rounds ------------------------------------------------------ */

/*
 * The one way out for records: every record, whatever made it (an attempt, a skipped
 * round, the --wait deadline), has its secrets masked here and nowhere else.
 */
static void output(struct engine *en, jv rec)
{
	struct srerr e;

	rec = secret_redact_jv(en->o->secrets, rec);
	if (probe_output_record(en->out, rec, &e) == -1 && !en->failed) {
		en->failed = 1;
		en->err = e;
	}
}

static int every_mode(const struct engine *en)
{
	return en->interval_ns && !en->deadline_ns;
}

/* A record of round for the round bookkeeping; ends the rounds that are complete. */
static void round_progress(struct engine *en, long round)
{
	struct srerr e;

	if (!every_mode(en) || round < en->first_open)
		return;
	en->open_count[round - en->first_open]--;
	while (en->first_open < en->next_round && en->open_count[0] == 0) {
		if (probe_output_round_end(en->out, &e) == -1) {
			char *shown = secret_redact(en->o->secrets, e.msg);

			/* a failed push must not end a monitor: say so and go on */
			cli_warn(en->o->cli, "%s", shown);
			free(shown);
		}
		memmove(en->open_count, en->open_count + 1,
			(en->open_cap - 1) * sizeof(*en->open_count));
		en->open_count[en->open_cap - 1] = 0;
		en->first_open++;
	}
}

static void slot_reset_run(struct slot *s)
{
	s->attempts = 0;
	jv_free(s->attempt_errors);
	s->attempt_errors = jv_array();
	s->state = SLOT_IDLE;
}

/* --wait -v: why a target is not ok yet */
static void verbose_failure(const struct engine *en, const struct slot *s, long round, jv rec)
{
	jv msg = jv_getpath(jv_copy(rec), JV_ARRAY(jv_string("error"), jv_string("message")));

	engine_verbose(en, "%s: not ok yet (round %ld): %s", s->t->name, round,
		       jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
	jv_free(msg);
}

void engine_record(struct engine *en, struct slot *s, jv rec)
{
	long round = s->round;

	slot_reset_run(s);
	if (en->deadline_ns) {
		jv_free(s->last);
		s->last = jv_invalid();
		if (record_ok(rec)) {
			s->done = 1;
			output(en, rec);
			return;
		}
		verbose_failure(en, s, round, rec);
		s->last = rec;
		return;
	}
	output(en, rec);
	round_progress(en, round);
}

/* End a run that will not go on (a signal, the deadline): record what it has. */
static void slot_abandon(struct engine *en, struct slot *s)
{
	jv rec = s->last;

	s->last = jv_invalid();
	if (jv_is_valid(rec)) {
		engine_record(en, s, rec);
		return;
	}
	slot_reset_run(s);
	round_progress(en, s->round);
}

void engine_ready(struct engine *en, struct slot *s)
{
	s->state = SLOT_READY;
	en->ready[(en->ready_head + en->ready_len) % en->n] = (size_t)(s - en->slots);
	en->ready_len++;
}

static void open_round(struct engine *en, long round)
{
	size_t at = (size_t)(round - en->first_open);

	if (at >= en->open_cap) {
		size_t cap = at * 2 + 4;
		long *grown = realloc(en->open_count, cap * sizeof(*grown));

		if (!grown)
			cli_die(CLI_TROUBLE, "out of memory");
		memset(grown + en->open_cap, 0, (cap - en->open_cap) * sizeof(*grown));
		en->open_count = grown;
		en->open_cap = cap;
	}
	en->open_count[at] = (long)en->n;
}

static void start_round(struct engine *en, long round)
{
	int64_t now_ms = tm_now_ms();

	if (every_mode(en))
		open_round(en, round);
	en->next_round = round + 1;
	for (size_t i = 0; i < en->n; i++) {
		struct slot *s = &en->slots[i];

		if (s->done)
			continue;
		if (s->state != SLOT_IDLE) {
			if (!every_mode(en))
				continue;
			char why[128];

			snprintf(why, sizeof(why), "round %ld skipped: round %ld of this target "
				 "is still running", round, s->round);
			engine_verbose(en, "%s: %s", s->t->name, why);
			output(en, record_unprobed(s->t, round, now_ms, "skipped", why));
			round_progress(en, round);
			continue;
		}
		s->round = round;
		engine_ready(en, s);
	}
}

/* ---- the schedule ------------------------------------------------------------ */

static int all_done(const struct engine *en)
{
	for (size_t i = 0; i < en->n; i++)
		if (!en->slots[i].done)
			return 0;
	return 1;
}

static int64_t round_start_ns(const struct engine *en, long round)
{
	return en->start_ns + (int64_t)round * en->interval_ns;
}

static int more_rounds(const struct engine *en)
{
	if (en->stopping)
		return 0;
	if (!en->interval_ns)
		return en->next_round == 0;
	if (en->deadline_ns)
		return !all_done(en) && round_start_ns(en, en->next_round) < en->deadline_ns;
	return en->o->count == 0 || en->next_round < en->o->count;
}

static void start_due_rounds(struct engine *en, int64_t now_ns)
{
	while (more_rounds(en) && round_start_ns(en, en->next_round) <= now_ns)
		start_round(en, en->next_round);
}

static void wake_and_time_out(struct engine *en, int64_t now_ns)
{
	for (size_t i = 0; i < en->n; i++) {
		struct slot *s = &en->slots[i];

		if (s->state == SLOT_BACKOFF && (en->stopping || now_ns >= s->wake_ns)) {
			if (en->stopping)
				slot_abandon(en, s);
			else
				engine_ready(en, s);
		} else if (s->state == SLOT_ACTIVE && s->dns) {
			attempt_dns_check(en, s, now_ns);
		}
	}
}

static void start_ready(struct engine *en, int64_t now_ns)
{
	while (en->ready_len > 0 && (en->active < en->o->parallel || en->stopping)) {
		struct slot *s = &en->slots[en->ready[en->ready_head]];

		en->ready_head = (en->ready_head + 1) % en->n;
		en->ready_len--;
		if (s->state != SLOT_READY)
			continue;
		if (en->stopping || (en->deadline_ns && now_ns >= en->deadline_ns))
			slot_abandon(en, s);
		else
			attempt_start(en, s, now_ns);
	}
}

static int busy(const struct engine *en)
{
	if (en->active > 0 || en->ready_len > 0)
		return 1;
	for (size_t i = 0; i < en->n; i++)
		if (en->slots[i].state != SLOT_IDLE)
			return 1;
	return 0;
}

static int64_t earlier(int64_t a, int64_t b)
{
	return a && (!b || a < b) ? a : b;
}

/* How long the loop may sleep, in ms. */
static int sleep_ms(const struct engine *en, int64_t now_ns)
{
	int64_t next = more_rounds(en) ? round_start_ns(en, en->next_round) : 0, ms;
	int polling = 0;

	for (size_t i = 0; i < en->n; i++) {
		const struct slot *s = &en->slots[i];

		if (s->state == SLOT_BACKOFF)
			next = earlier(s->wake_ns, next);
		if (s->state == SLOT_ACTIVE && (s->dns || s->exec))
			next = earlier(s->kill_ns ? s->kill_ns : s->deadline_ns, next);
		polling |= s->exec && execprobe_needs_polling(s->exec);
	}
	if (!next)
		return polling ? POLL_CHILD_MS : MAX_SLEEP_MS;
	ms = next <= now_ns ? 0 : (next - now_ns + NS_PER_MS - 1) / NS_PER_MS;
	if (polling && ms > POLL_CHILD_MS)
		ms = POLL_CHILD_MS;
	return ms > MAX_SLEEP_MS ? MAX_SLEEP_MS : (int)ms;
}

/* ---- the event loop ---------------------------------------------------------- */

static unsigned gather_fds(struct engine *en, struct curl_waitfd *fds, int dns_fd)
{
	unsigned n = 0;

	fds[n].fd = signal_pipe[0];
	fds[n].events = CURL_WAIT_POLLIN;
	fds[n++].revents = 0;
	fds[n].fd = dns_fd;
	fds[n].events = CURL_WAIT_POLLIN;
	fds[n++].revents = 0;
	for (size_t i = 0; i < en->n; i++) {
		struct slot *s = &en->slots[i];

		s->fd_off = n;
		s->fd_n = s->exec ? execprobe_fds(s->exec, fds + n) : 0;
		n += s->fd_n;
	}
	return n;
}

static void stop(struct engine *en)
{
	char buf[16];

	while (read(signal_pipe[0], buf, sizeof(buf)) > 0)
		;
	if (!en->stopping)
		engine_verbose(en, "stopping: finishing the probes in flight");
	en->stopping = 1;
}

static void handle_events(struct engine *en, struct curl_waitfd *fds)
{
	int64_t now_ns = tm_monotonic_ns();
	struct dns_job *j;
	struct http_result *r;

	if (fds[0].revents)
		stop(en);
	while ((j = dnsprobe_read_done()))
		attempt_dns_done(en, j);
	for (size_t i = 0; i < en->n; i++)
		if (en->slots[i].exec)
			attempt_exec_check(en, &en->slots[i], fds + en->slots[i].fd_off,
					   en->slots[i].fd_n, now_ns);
	while ((r = http_multi_next_done(en->multi)))
		attempt_http_done(en, r);
}

static int loop(struct engine *en, struct curl_waitfd *fds, int dns_fd, struct srerr *e)
{
	for (;;) {
		int64_t now_ns = tm_monotonic_ns();
		unsigned nfds;

		start_due_rounds(en, now_ns);
		wake_and_time_out(en, now_ns);
		start_ready(en, now_ns);
		if (en->failed) {
			*e = en->err;
			return -1;
		}
		if (!busy(en) && !more_rounds(en))
			return 0;
		nfds = gather_fds(en, fds, dns_fd);
		if (http_multi_wait(en->multi, fds, nfds, sleep_ms(en, now_ns), e) == -1)
			return -1;
		handle_events(en, fds);
	}
}

/* --wait at its end: the last record of every target that never became ok. */
static void wait_report(struct engine *en)
{
	int64_t now_ms = tm_now_ms();

	for (size_t i = 0; i < en->n; i++) {
		struct slot *s = &en->slots[i];

		if (s->done)
			continue;
		if (!jv_is_valid(s->last))
			s->last = record_unprobed(s->t, s->round, now_ms, "timeout",
						  "no answer before the --wait deadline");
		output(en, s->last);
		s->last = jv_invalid();
	}
}

static int engine_init(struct engine *en, const struct engine_opts *o,
		       const struct target_list *targets, struct probe_output *out,
		       struct srerr *e)
{
	memset(en, 0, sizeof(*en));
	en->o = o;
	en->out = out;
	en->n = targets->n;
	en->slots = calloc(en->n, sizeof(*en->slots));
	en->ready = calloc(en->n, sizeof(*en->ready));
	if (!en->slots || !en->ready) {
		srerr_set(e, "io", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < en->n; i++) {
		en->slots[i].t = &targets->v[i];
		en->slots[i].attempt_errors = jv_array();
		en->slots[i].last = jv_invalid();
	}
	seed(en);
	if (!(en->multi = http_multi_new(o->parallel, e)))
		return -1;
	/* after the set-up, so that round 0 starts at start_ns, not some ms later */
	en->start_ns = tm_monotonic_ns();
	en->interval_ns = (o->every_ms ? o->every_ms : o->wait_ms ? 1000 : 0) * NS_PER_MS;
	en->deadline_ns = o->wait_ms ? en->start_ns + o->wait_ms * NS_PER_MS : 0;
	return 0;
}

static void engine_release(struct engine *en)
{
	for (size_t i = 0; en->slots && i < en->n; i++) {
		struct slot *s = &en->slots[i];

		jv_free(s->attempt_errors);
		jv_free(s->last);
		execprobe_free(s->exec);
		if (s->dns)
			dnsprobe_abandon(s->dns);
	}
	http_multi_free(en->multi);
	free(en->slots);
	free(en->ready);
	free(en->open_count);
}

int engine_run(const struct engine_opts *o, const struct target_list *targets,
	       struct probe_output *out, struct srerr *e)
{
	struct engine en;
	struct curl_waitfd *fds = NULL;
	int dns_fd, rc = -1;

	if (engine_init(&en, o, targets, out, e) == -1 || (dns_fd = dnsprobe_pipe(e)) == -1 ||
	    signals_install(e) == -1)
		goto done;
	if (!(fds = calloc(2 + EXEC_MAX_FDS * en.n, sizeof(*fds)))) {
		srerr_set(e, "io", "out of memory");
		goto done;
	}
	if (loop(&en, fds, dns_fd, e) == -1)
		goto done;
	if (en.deadline_ns && !all_done(&en))
		wait_report(&en);
	rc = en.stopping ? ENGINE_INTERRUPTED : en.deadline_ns && !all_done(&en) ? ENGINE_FAILED
									   : ENGINE_OK;
	if (en.failed) {
		*e = en.err;
		rc = -1;
	}
done:
	signals_restore();
	free(fds);
	engine_release(&en);
	return rc;
}
