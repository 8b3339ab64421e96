#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <jq.h>

#include "jqx.h"
#include "ndjson.h"
#include "banned.h"

#define JQX_SHOWN_MAX 120  /* bytes of an expression quoted in a message */
#define JQX_MSGS_MAX  400  /* libjq's compile messages, collapsed */

enum jqx_mode { MODE_FIRST, MODE_ALL, MODE_TRUTHY };

/* Exit statuses of the evaluating child; any other ending is a crash. */
#define CHILD_DONE  0
#define CHILD_NOMEM 71
#define CHILD_IO    72
#define CHILD_SETUP 73
#define CHILD_TOO_LONG 74

struct jqx {
	jq_state *jq;
	char *expr;
	char shown[JQX_SHOWN_MAX + 4];
	char msgs[JQX_MSGS_MAX];
	size_t msgs_len;
};

/* ---- messages ---- */

static void drop_substring(char *s, const char *sub)
{
	char *at = strstr(s, sub);
	size_t n = strlen(sub);

	if (at)
		memmove(at, at + n, strlen(at + n) + 1);
}

/*
 * libjq reports a compile problem as "jq: error: <problem> (Unix shell quoting
 * issues?) at <top-level>, line 1:\n<the program>" and then "jq: 1 compile error".
 * Keep "<problem> at <top-level>, line 1": the program is quoted by our message.
 */
static void keep_problem(struct jqx *q, const char *text)
{
	char line[JQX_MSGS_MAX];
	size_t n;

	if (!strncmp(text, "jq: ", 4) && text[4] >= '0' && text[4] <= '9')
		return;
	if (!strncmp(text, "jq: error: ", 11))
		text += 11;
	n = strcspn(text, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, text, n);
	line[n] = '\0';
	drop_substring(line, " (Unix shell quoting issues?)");
	n = strlen(line);
	while (n > 0 && (line[n - 1] == ':' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (!n)
		return;
	n = (size_t)snprintf(q->msgs + q->msgs_len, sizeof(q->msgs) - q->msgs_len, "%s%s",
			     q->msgs_len ? "; " : "", line);
	q->msgs_len += n;
	if (q->msgs_len >= sizeof(q->msgs))
		q->msgs_len = sizeof(q->msgs) - 1;
}

/* jq_set_error_cb callback: libjq never prints, its messages land in q->msgs. */
static void keep_message(void *data, jv msg)
{
	jv text = jv_get_kind(msg) == JV_KIND_STRING ? msg : jv_dump_string(msg, 0);

	keep_problem(data, jv_string_value(text));
	jv_free(text);
}

/* An error value as text (consumed): strings as they are, anything else as JSON. */
static jv message_text(jv msg)
{
	if (jv_get_kind(msg) == JV_KIND_STRING)
		return msg;
	return jv_string_concat(jv_string("(not a string): "), jv_dump_string(msg, 0));
}

/* Fills e from an error value (consumed) that q raised. */
static void runtime_error(const struct jqx *q, jv msg, struct srerr *e)
{
	jv text = message_text(msg);

	srerr_set(e, "jq", "error in jq expression '%s': %s", q->shown, jv_string_value(text));
	jv_free(text);
}

/* ---- compiling ---- */

/* Imports can only open a program, after an optional module directive. */
static int opens_with_module_directive(const char *s)
{
	size_t n;

	for (;;) {
		s += strspn(s, " \t\r\n");
		if (*s != '#')
			break;
		s += strcspn(s, "\r\n");
	}
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	return (n == 6 && (!memcmp(s, "import", 6) || !memcmp(s, "module", 6))) ||
	       (n == 7 && !memcmp(s, "include", 7));
}

/*
 * No input callback makes libjq 1.6 read uninitialised memory on `input`; this one
 * says "no more inputs", so `input` fails and `inputs` is empty.
 */
static jv no_inputs(jq_state *jq, void *data)
{
	(void)jq;
	(void)data;
	return jv_invalid();
}

static struct jqx *jqx_new(const char *expr)
{
	struct jqx *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->expr = strdup(expr);
	q->jq = jq_init();
	if (!q->expr || !q->jq) {
		jqx_free(q);
		return NULL;
	}
	srerr_shorten(expr, q->shown, sizeof(q->shown));
	jq_set_error_cb(q->jq, keep_message, q);
	jq_set_input_cb(q->jq, no_inputs, NULL);
	jq_set_attr(q->jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	return q;
}

/*
 * libjq 1.6 imports $HOME/.jq into every program.  Hiding HOME while it compiles
 * keeps the operator's personal jq library (and its syntax errors) out.
 * Returns 1 when compiled, 0 on a compile error, -1 out of memory.
 */
static int compile_without_home(jq_state *jq, const char *expr)
{
	const char *home = getenv("HOME");
	char *saved = NULL;
	int ok;

	if (home) {
		saved = strdup(home);
		if (!saved)
			return -1;
		unsetenv("HOME");
	}
	ok = jq_compile(jq, expr);
	if (saved) {
		setenv("HOME", saved, 1);
		free(saved);
	}
	return ok ? 1 : 0;
}

struct jqx *jqx_compile(const char *expr, struct srerr *e)
{
	char shown[JQX_SHOWN_MAX + 4];
	struct jqx *q;
	int rc;

	if (!expr) {
		srerr_set(e, "jq", "invalid jq expression: none given");
		return NULL;
	}
	srerr_shorten(expr, shown, sizeof(shown));
	if (opens_with_module_directive(expr)) {
		srerr_set(e, "jq", "invalid jq expression '%s': import, include and module are not allowed",
			  shown);
		return NULL;
	}
	q = jqx_new(expr);
	rc = q ? compile_without_home(q->jq, expr) : -1;
	if (rc == 1)
		return q;
	if (rc < 0)
		srerr_set(e, "nomem", "cannot compile jq expression '%s': out of memory", shown);
	else
		srerr_set(e, "jq", "invalid jq expression '%s': %s", shown,
			  q->msgs_len ? q->msgs : "compile error");
	jqx_free(q);
	return NULL;
}

void jqx_free(struct jqx *q)
{
	if (!q)
		return;
	if (q->jq)
		jq_teardown(&q->jq);
	free(q->expr);
	free(q);
}

const char *jqx_expr(const struct jqx *q)
{
	return q->expr;
}

/* ---- collecting outputs, the same way in-process and from a child ---- */

struct collector {
	enum jqx_mode mode;
	jv acc;        /* MODE_FIRST: the first output; MODE_ALL: the array */
	size_t count;
	int truthy;    /* MODE_TRUTHY: every output so far was truthy */
	int done;
};

static void collector_init(struct collector *c, enum jqx_mode mode)
{
	c->mode = mode;
	c->acc = mode == MODE_ALL ? jv_array() : jv_invalid();
	c->count = 0;
	c->truthy = 1;
	c->done = 0;
}

static int is_truthy(jv v)
{
	jv_kind kind = jv_get_kind(v);

	return kind != JV_KIND_NULL && kind != JV_KIND_FALSE;
}

/* Takes v.  Returns 1 while the mode wants more outputs. */
static int collector_add(struct collector *c, jv v)
{
	if (c->done) {
		jv_free(v);
		return 0;
	}
	c->count++;
	if (c->mode == MODE_FIRST) {
		c->acc = v;
		c->done = 1;
	} else if (c->mode == MODE_ALL) {
		c->acc = jv_array_append(c->acc, v);
	} else {
		c->truthy = is_truthy(v);
		c->done = !c->truthy;
		jv_free(v);
	}
	return !c->done;
}

/* The mode's return value; hands the collected jv over to *out (when out). */
static int collector_finish(struct collector *c, jv *out)
{
	if (out)
		*out = c->acc;
	else
		jv_free(c->acc);
	c->acc = jv_invalid();
	if (c->mode == MODE_FIRST)
		return c->count > 0;
	if (c->mode == MODE_ALL)
		return 0;
	return c->count > 0 && c->truthy;
}

static void collector_release(struct collector *c)
{
	jv_free(c->acc);
	c->acc = jv_invalid();
}

/*
 * jq_next gave the invalid v (consumed): the error value it carries, or
 * jv_invalid() at a normal end.  `halt` ends normally; `halt_error` is an error.
 */
static jv error_of(struct jqx *q, jv v)
{
	if (jv_invalid_has_msg(jv_copy(v)))
		return jv_invalid_get_msg(v);
	jv_free(v);
	if (jq_halted(q->jq))
		return jq_get_error_message(q->jq);
	return jv_invalid();
}

/* ---- in-process ---- */

/* libjq asserts on an invalid input; the caller gets an error instead. */
static int no_input(const struct jqx *q, jv input, jv *out, struct srerr *e)
{
	if (jv_is_valid(input))
		return 0;
	jv_free(input);
	if (out)
		*out = jv_invalid();
	srerr_set(e, "jq", "cannot run jq expression '%s': no input value", q->shown);
	return 1;
}

static int run_here(struct jqx *q, enum jqx_mode mode, jv input, jv *out,
		    struct srerr *e)
{
	struct collector c;
	jv v, err;

	if (no_input(q, input, out, e))
		return -1;
	collector_init(&c, mode);
	jq_start(q->jq, input, 0);
	for (;;) {
		v = jq_next(q->jq);
		if (!jv_is_valid(v))
			break;
		if (!collector_add(&c, v))
			return collector_finish(&c, out);
	}
	err = error_of(q, v);
	if (jv_is_valid(err)) {
		collector_release(&c);
		runtime_error(q, err, e);
		if (out)
			*out = jv_invalid();
		return -1;
	}
	jv_free(err);
	return collector_finish(&c, out);
}

int jqx_first(struct jqx *q, jv input, jv *out, struct srerr *e)
{
	return run_here(q, MODE_FIRST, input, out, e);
}

int jqx_all(struct jqx *q, jv input, jv *out, struct srerr *e)
{
	return run_here(q, MODE_ALL, input, out, e);
}

int jqx_truthy(struct jqx *q, jv input, struct srerr *e)
{
	return run_here(q, MODE_TRUTHY, input, NULL, e);
}

/* ---- isolated: the child ---- */

/*
 * The child talks to the parent in lines: "o<json>" per output, "e<json string>"
 * for an error, "d" when done.  JSON text never holds a raw newline.  Lines are
 * buffered (a crash loses them, but a crash fails the evaluation anyway) and the
 * child stops by itself past the output cap, which the parent enforces too.
 */
struct child_out {
	struct jqx *q;
	int fd;
	size_t cap, total, len;
	char buf[64 * 1024];
};

/*
 * Tearing libjq down before _exit is for valgrind, which checks forked children
 * too: libjq 1.6 holds its stack by a pointer one past its end, so a child that
 * exits with a run in progress looks like it leaked the stack.
 */
static _Noreturn void child_exit(struct child_out *o, int status)
{
	jq_teardown(&o->q->jq);
	_exit(status);
}

static void child_flush(struct child_out *o)
{
	size_t off = 0;
	ssize_t n;

	for (; off < o->len; off += (size_t)n) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n < 0)
			child_exit(o, CHILD_IO);
	}
	o->len = 0;
}

/* Counts n more bytes against the cap; past it the child ends (freeing pending). */
static void child_reserve(struct child_out *o, size_t n, jv pending)
{
	if (n > o->cap - o->total) {
		jv_free(pending);
		child_exit(o, CHILD_TOO_LONG);
	}
	o->total += n;
}

static void child_put(struct child_out *o, const char *p, size_t n)
{
	size_t room;

	while (n > 0) {
		if (o->len == sizeof(o->buf))
			child_flush(o);
		room = sizeof(o->buf) - o->len;
		room = n < room ? n : room;
		memcpy(o->buf + o->len, p, room);
		o->len += room;
		p += room;
		n -= room;
	}
}

static void child_send(struct child_out *o, char tag, jv v)
{
	jv text = jv_dump_string(v, 0);
	size_t len = (size_t)jv_string_length_bytes(jv_copy(text));

	child_reserve(o, len + 2, text);
	child_put(o, &tag, 1);
	child_put(o, jv_string_value(text), len);
	child_put(o, "\n", 1);
	jv_free(text);
}

static _Noreturn void child_finish(struct child_out *o)
{
	child_reserve(o, 2, jv_invalid());
	child_put(o, "d\n", 2);
	child_flush(o);
	child_exit(o, CHILD_DONE);
}

static void child_out_of_memory(void *data)
{
	(void)data;
	_exit(CHILD_NOMEM);
}

/* Lowers a limit, never above the hard limit already in force. */
static int lower_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit now, want;

	if (getrlimit(resource, &now) < 0)
		return -1;
	if (now.rlim_max != RLIM_INFINITY && hard > now.rlim_max)
		hard = now.rlim_max;
	want.rlim_cur = soft < hard ? soft : hard;
	want.rlim_max = hard;
	return setrlimit(resource, &want);
}

/* Bytes of address space mapped now (the child starts as a copy of its parent). */
static size_t mapped_now(void)
{
	char buf[128];
	ssize_t n;
	unsigned long long pages;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pages = strtoull(buf, NULL, 10);
	if (errno || pages > SIZE_MAX / 65536)
		return 0;
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* RLIMIT_AS counts what the parent had mapped too, so the limit is on top of it. */
static int child_limits(const struct jqx_limits *l)
{
	size_t base = mapped_now();
	rlim_t as = base > SIZE_MAX - l->memory_bytes ? RLIM_INFINITY
						       : (rlim_t)(base + l->memory_bytes);

	return lower_limit(RLIMIT_CORE, 0, 0) < 0 ||
	       lower_limit(RLIMIT_CPU, l->cpu_seconds, (rlim_t)l->cpu_seconds + 1) < 0 ||
	       lower_limit(RLIMIT_AS, as, as) < 0 ? -1 : 0;
}

/*
 * Every handler the caller installed goes back to the default action: a crash
 * handler that longjmps (cmocka has one) or reports would otherwise run the
 * caller's code in the child after libjq crashes.  Ignored signals stay ignored
 * (nohup), except SIGXCPU, which must kill at the CPU limit.  SIGPIPE is ignored so
 * that a vanished parent makes write fail and the child _exit.  Nothing is blocked.
 */
static void child_signals(void)
{
	struct sigaction dfl, old;
	sigset_t none;
	int sig;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++) {
		if (sigaction(sig, NULL, &old) < 0)
			continue;
		if (sig == SIGXCPU || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_IGN)
			sigaction(sig, &dfl, NULL);
	}
	dfl.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * stdin, stdout and stderr become /dev/null (the parent's stdout is not ours to
 * write, libjq's abort messages are not the operator's business), the pipe becomes
 * fd 3 and every other inherited descriptor is closed.
 */
static int child_fds(int pipe_fd)
{
	int out = fcntl(pipe_fd, F_DUPFD, 3);
	int null = open("/dev/null", O_RDWR);
	int fd;

	if (out < 0)
		return -1;
	for (fd = 0; fd <= 2; fd++) {
		if (null >= 0)
			dup2(null, fd);
		else
			close(fd);
	}
	if (out != 3 && dup2(out, 3) < 0)
		return -1;
	close_range(4, ~0U, 0);
	return 3;
}

/* The text an isolated evaluation parses in the child (see jqx_truthy_isolated_text). */
struct child_text {
	const char *text;
	size_t len;
};

/* Parses t in the child: a parse error is reported as a 'p' line, out of memory ends it. */
static jv child_parse(struct child_out *o, const struct child_text *t)
{
	struct srerr e;
	jv v;

	if (ndj_parse_value(t->text, t->len, 0, &v, &e) == 0)
		return v;
	if (strcmp(e.code, "oom") == 0)
		_exit(CHILD_NOMEM);
	child_send(o, 'p', jv_string(e.msg));
	child_finish(o);
}

static _Noreturn void child_run(struct jqx *q, enum jqx_mode mode, jv input,
				const struct child_text *t, const struct jqx_limits *l,
				int pipe_fd)
{
	static struct child_out o;  /* the child's own copy: the parent never touches it */
	jv v, err;
	int more;

	o.q = q;
	o.fd = child_fds(pipe_fd);
	o.cap = l->output_bytes;
	child_signals();
	if (o.fd < 0 || child_limits(l) < 0)
		_exit(CHILD_SETUP);
	jq_set_nomem_handler(q->jq, child_out_of_memory, NULL);
	if (t)
		input = child_parse(&o, t);
	jq_start(q->jq, input, 0);
	for (;;) {
		v = jq_next(q->jq);
		if (!jv_is_valid(v))
			break;
		more = mode == MODE_ALL || (mode == MODE_TRUTHY && is_truthy(v));
		child_send(&o, 'o', v);
		if (!more)
			child_finish(&o);
	}
	err = error_of(q, v);
	if (jv_is_valid(err))
		child_send(&o, 'e', message_text(err));
	child_finish(&o);
}

/* ---- isolated: the parent ---- */

enum read_end { READ_EOF, READ_TIMEOUT, READ_TOO_LONG, READ_FAILED };

struct child_report {
	char *buf;
	size_t len, size;
	enum read_end end;
	int read_errno;
	int status;       /* from waitpid */
	int wait_errno;   /* 0, or why waitpid failed */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One read into rep->buf, which holds at most cap + 1 bytes.  1 more, 0 EOF, -1 error. */
static int read_some(int fd, struct child_report *rep, size_t cap)
{
	ssize_t n;

	if (rep->len == rep->size) {
		size_t size = rep->size ? rep->size * 2 : 4096;
		char *buf;

		if (size > cap + 1)
			size = cap + 1;
		buf = realloc(rep->buf, size);
		if (!buf) {
			rep->read_errno = ENOMEM;
			return -1;
		}
		rep->buf = buf;
		rep->size = size;
	}
	n = read(fd, rep->buf + rep->len, rep->size - rep->len);
	if (n < 0) {
		rep->read_errno = errno;
		return errno == EINTR ? 1 : -1;
	}
	rep->len += (size_t)n;
	return n > 0;
}

static void read_child(int fd, const struct jqx_limits *l, struct child_report *rep)
{
	long long deadline = now_ms() + l->timeout_ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			rep->end = READ_TIMEOUT;
			return;
		}
		rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc < 0 && errno != EINTR) {
			rep->read_errno = errno;
			rep->end = READ_FAILED;
			return;
		}
		if (rc <= 0)
			continue;
		rc = read_some(fd, rep, l->output_bytes);
		if (rc <= 0 || rep->len > l->output_bytes) {
			rep->end = rc < 0 ? READ_FAILED : rc == 0 ? READ_EOF : READ_TOO_LONG;
			return;
		}
	}
}

static void reap_child(pid_t pid, struct child_report *rep)
{
	if (rep->end != READ_EOF)
		kill(pid, SIGKILL);
	while (waitpid(pid, &rep->status, 0) < 0) {
		if (errno != EINTR) {
			rep->wait_errno = errno;
			return;
		}
	}
}

/* Length of a libjq parse error without its " (while parsing '<the whole text>')". */
static int without_parser_echo(const char *why)
{
	const char *echo = strstr(why, " (while parsing '");
	size_t n = echo ? (size_t)(echo - why) : strlen(why);

	return n > INT_MAX ? INT_MAX : (int)n;
}

/* One line of the child's report.  1: go on, 0: done, -1: error in e. */
static int read_back_line(struct jqx *q, struct collector *c, const char *line,
			  size_t len, struct srerr *e)
{
	jv v, why;

	if (len == 1 && line[0] == 'd')
		return 0;
	if (len < 2 || len - 1 > INT_MAX || !strchr("oep", line[0])) {
		srerr_set(e, "crashed", "jq expression '%s': garbled report from the evaluating process",
			  q->shown);
		return -1;
	}
	v = jv_parse_sized(line + 1, (int)(len - 1));
	if (!jv_is_valid(v)) {
		why = message_text(jv_invalid_get_msg(v));
		srerr_set(e, strstr(jv_string_value(why), "depth") ? "output_limit" : "crashed",
			  "cannot read back the output of jq expression '%s': %.*s", q->shown,
			  without_parser_echo(jv_string_value(why)), jv_string_value(why));
		jv_free(why);
		return -1;
	}
	if (line[0] == 'e') {
		runtime_error(q, v, e);
		return -1;
	}
	if (line[0] == 'p') {
		v = message_text(v);
		srerr_set(e, "json_parse", "%s", jv_string_value(v));
		jv_free(v);
		return -1;
	}
	collector_add(c, v);
	return 1;
}

static int read_back(struct jqx *q, enum jqx_mode mode, const struct child_report *rep,
		     jv *out, struct srerr *e)
{
	struct collector c;
	size_t pos = 0, len;
	const char *line, *nl;
	int rc;

	collector_init(&c, mode);
	for (rc = 1; rc > 0 && pos < rep->len; pos += len + 1) {
		line = rep->buf + pos;
		nl = memchr(line, '\n', rep->len - pos);
		if (!nl)
			break;
		len = (size_t)(nl - line);
		rc = read_back_line(q, &c, line, len, e);
	}
	if (rc == 0)
		return collector_finish(&c, out);
	if (rc > 0)
		srerr_set(e, "crashed", "jq expression '%s': the evaluating process ended without a result",
			  q->shown);
	collector_release(&c);
	return -1;
}

static int output_too_long(const struct jqx *q, const struct jqx_limits *l,
			   struct srerr *e)
{
	srerr_set(e, "output_limit", "output of jq expression '%s' exceeds %zu bytes", q->shown,
		  l->output_bytes);
	return -1;
}

static int judge_ending(struct jqx *q, const struct child_report *rep,
			const struct jqx_limits *l, struct srerr *e)
{
	int sig;

	if (rep->wait_errno) {
		srerr_set(e, "crashed", "jq expression '%s': cannot wait for the evaluating process: %s",
			  q->shown, strerror(rep->wait_errno));
		return -1;
	}
	if (WIFSIGNALED(rep->status)) {
		sig = WTERMSIG(rep->status);
		if (sig == SIGXCPU)
			srerr_set(e, "timeout", "jq expression '%s' used more than %u s of cpu time",
				  q->shown, l->cpu_seconds);
		else
			srerr_set(e, "crashed", "jq crashed evaluating expression '%s' (signal %d, %s)",
				  q->shown, sig, strsignal(sig));
		return -1;
	}
	if (WEXITSTATUS(rep->status) == CHILD_TOO_LONG)
		return output_too_long(q, l, e);
	if (WEXITSTATUS(rep->status) == CHILD_NOMEM) {
		srerr_set(e, "memory_limit", "jq expression '%s' needs more than %zu bytes of memory",
			  q->shown, l->memory_bytes);
		return -1;
	}
	if (WEXITSTATUS(rep->status) != CHILD_DONE) {
		srerr_set(e, "crashed", "jq crashed evaluating expression '%s' (exit status %d)",
			  q->shown, WEXITSTATUS(rep->status));
		return -1;
	}
	return 0;
}

static int judge(struct jqx *q, enum jqx_mode mode, const struct child_report *rep,
		 const struct jqx_limits *l, jv *out, struct srerr *e)
{
	if (rep->end == READ_TIMEOUT) {
		srerr_set(e, "timeout", "jq expression '%s' took longer than %u ms", q->shown,
			  l->timeout_ms);
		return -1;
	}
	if (rep->end == READ_TOO_LONG)
		return output_too_long(q, l, e);
	if (rep->end == READ_FAILED) {
		srerr_set(e, "io", "cannot read the result of jq expression '%s': %s", q->shown,
			  strerror(rep->read_errno));
		return -1;
	}
	if (judge_ending(q, rep, l, e) < 0)
		return -1;
	return read_back(q, mode, rep, out, e);
}

static void effective_limits(const struct jqx_limits *lim, struct jqx_limits *l)
{
	memset(l, 0, sizeof(*l));
	if (lim)
		*l = *lim;
	if (!l->memory_bytes)
		l->memory_bytes = JQX_DEFAULT_MEMORY_BYTES;
	if (!l->cpu_seconds)
		l->cpu_seconds = JQX_DEFAULT_CPU_SECONDS;
	if (!l->timeout_ms)
		l->timeout_ms = JQX_DEFAULT_TIMEOUT_MS;
	if (!l->output_bytes)
		l->output_bytes = JQX_DEFAULT_OUTPUT_BYTES;
	if (l->output_bytes > INT_MAX)  /* libjq parses at most INT_MAX bytes */
		l->output_bytes = INT_MAX;
}

/* Consumes input; errno says why. */
static int cannot_isolate(struct jqx *q, jv input, const char *what, struct srerr *e)
{
	int err = errno;

	jv_free(input);
	srerr_set(e, "io", "cannot evaluate jq expression '%s': %s: %s", q->shown, what,
		  strerror(err));
	return -1;
}

static int run_isolated(struct jqx *q, enum jqx_mode mode, jv input,
			const struct child_text *t, const struct jqx_limits *lim, jv *out,
			struct srerr *e)
{
	struct child_report rep;
	struct jqx_limits l;
	int fds[2], rc;
	pid_t pid;

	if (out)
		*out = jv_invalid();
	if (no_input(q, input, out, e))
		return -1;
	effective_limits(lim, &l);
	memset(&rep, 0, sizeof(rep));
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cannot_isolate(q, input, "pipe", e);
	pid = fork();
	if (pid < 0) {
		rc = errno;
		close(fds[0]);
		close(fds[1]);
		errno = rc;
		return cannot_isolate(q, input, "fork", e);
	}
	if (pid == 0)
		child_run(q, mode, input, t, &l, fds[1]);
	close(fds[1]);
	jv_free(input);
	read_child(fds[0], &l, &rep);
	close(fds[0]);
	reap_child(pid, &rep);
	rc = judge(q, mode, &rep, &l, out, e);
	free(rep.buf);
	return rc;
}

int jqx_first_isolated(struct jqx *q, jv input, const struct jqx_limits *lim,
		       jv *out, struct srerr *e)
{
	return run_isolated(q, MODE_FIRST, input, NULL, lim, out, e);
}

int jqx_all_isolated(struct jqx *q, jv input, const struct jqx_limits *lim,
		     jv *out, struct srerr *e)
{
	return run_isolated(q, MODE_ALL, input, NULL, lim, out, e);
}

int jqx_truthy_isolated(struct jqx *q, jv input, const struct jqx_limits *lim,
			struct srerr *e)
{
	return run_isolated(q, MODE_TRUTHY, input, NULL, lim, NULL, e);
}

int jqx_truthy_isolated_text(struct jqx *q, const char *text, size_t len,
			     const struct jqx_limits *lim, struct srerr *e)
{
	struct child_text t = { text ? text : "", text ? len : 0 };

	/* null stands in for the input, which the child replaces with the parsed text */
	return run_isolated(q, MODE_TRUTHY, jv_null(), &t, lim, NULL, e);
}
