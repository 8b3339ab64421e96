#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "jqx.h"
#include "banned.h"

/*
 * Under ASan a failed malloc aborts the process unless told otherwise; the memory
 * limit test needs malloc to return NULL in the child, as it does without ASan.
 */
#if defined(__SANITIZE_ADDRESS__)
#define JQX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JQX_TEST_ASAN 1
#endif
#endif
#ifdef JQX_TEST_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

/* A CPU limit that keeps the runaway test short; the wall clock is not what it tests. */
static const struct jqx_limits quick = { .cpu_seconds = 1, .timeout_ms = 120000 };

/*
 * Valgrind runs forked children too, and leak-checks each one as it ends, which can
 * take longer than the default wall-clock limit on a busy machine.
 */
static int under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

/* The defaults (NULL), or more time under valgrind. */
static const struct jqx_limits *roomy(void)
{
	static const struct jqx_limits slow = { .cpu_seconds = 60, .timeout_ms = 180000 };

	return under_valgrind() ? &slow : NULL;
}

/* A mkstemp/mkdtemp template in $TMPDIR (bats and CI set it) or /tmp. */
static void tmp_template(char *buf, size_t size)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, size, "%s/test_jqx.XXXXXX", dir && *dir ? dir : "/tmp");
}

static struct jqx *compile_ok(const char *expr)
{
	struct srerr e;
	struct jqx *q;

	srerr_clear(&e);
	q = jqx_compile(expr, &e);
	if (!q)
		fail_msg("jqx_compile('%s'): %s: %s", expr, e.code, e.msg);
	return q;
}

static jv json(const char *text)
{
	jv v = jv_parse(text);

	if (!jv_is_valid(v))
		fail_msg("bad test JSON: %s", text);
	return v;
}

static void assert_json(jv v, const char *want)
{
	jv w = json(want);

	if (!jv_equal(jv_copy(v), jv_copy(w))) {
		jv got = jv_dump_string(jv_copy(v), 0);

		print_error("got %s, want %s\n", jv_string_value(got), want);
		jv_free(got);
		jv_free(v);
		jv_free(w);
		fail();
	}
	jv_free(v);
	jv_free(w);
}

/* jqx_all of expr on input (JSON text), which must succeed and equal want. */
static void expect_all(const char *expr, const char *input, const char *want)
{
	struct jqx *q = compile_ok(expr);
	struct srerr e;
	jv out;

	srerr_clear(&e);
	if (jqx_all(q, json(input), &out, &e) != 0)
		fail_msg("jqx_all('%s'): %s: %s", expr, e.code, e.msg);
	assert_json(out, want);
	jqx_free(q);
}

static void expect_compile_error(const char *expr, const char *msg_start)
{
	struct srerr e;

	srerr_clear(&e);
	assert_null(jqx_compile(expr, &e));
	assert_string_equal(e.code, "jq");
	if (strncmp(e.msg, msg_start, strlen(msg_start)))
		fail_msg("message '%s' does not start with '%s'", e.msg, msg_start);
	assert_null(strchr(e.msg, '\n'));
}

/* ---- compiling ---- */

static void test_compile_errors(void **state)
{
	struct srerr e;

	(void)state;
	expect_compile_error(".foo |",
			     "invalid jq expression '.foo |': syntax error, unexpected $end at <top-level>, line 1");
	expect_compile_error("nosuchfunc(1)",
			     "invalid jq expression 'nosuchfunc(1)': nosuchfunc/1 is not defined");
	/* two problems, one line */
	expect_compile_error("$x | $y", "invalid jq expression '$x | $y': $x is not defined");
	srerr_clear(&e);
	assert_null(jqx_compile("$x | $y", &e));
	assert_non_null(strstr(e.msg, "; $y is not defined"));
	expect_compile_error(NULL, "invalid jq expression: none given");
	assert_null(jqx_compile("}", NULL));  /* e may be NULL */
}

static void test_long_expression_is_shortened_in_messages(void **state)
{
	char expr[400];
	struct srerr e;

	(void)state;
	memset(expr, ' ', sizeof(expr));
	memcpy(expr, ".a", 2);
	memcpy(expr + sizeof(expr) - 3, " |", 3);
	srerr_clear(&e);
	assert_null(jqx_compile(expr, &e));
	assert_non_null(strstr(e.msg, "...': syntax error"));
}

static void test_import_and_include_are_refused(void **state)
{
	char dir[128], path[256], expr[384];
	FILE *f;

	(void)state;
	tmp_template(dir, sizeof(dir));
	expect_compile_error("import \"foo\" as f; .",
			     "invalid jq expression 'import \"foo\" as f; .': import, include and module are not allowed");
	expect_compile_error("include \"foo\"; .", "invalid jq expression 'include");
	expect_compile_error("module {a: 1}; .", "invalid jq expression 'module");
	expect_compile_error("# a comment\n\t import \"foo\" as f; .", "invalid jq expression '#");

	/* libjq 1.6 would load this one despite the empty library path */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/foo.jq", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("def x: \"loaded\";\n", f);
	fclose(f);
	snprintf(expr, sizeof(expr), "import \"foo\" as f {search: \"%s\"}; f::x", dir);
	expect_compile_error(expr, "invalid jq expression 'import");
	unlink(path);
	rmdir(dir);

	/* the words themselves are fine elsewhere */
	expect_all("{import: 1, include: 2, module: 3} | .import + .include", "null", "[3]");
	expect_all("get_search_list", "null", "[[]]");
	expect_all("\"foo\" | try modulemeta catch \"refused\"", "null", "[\"refused\"]");
}

static void test_home_jq_is_not_loaded(void **state)
{
	char dir[128], path[384], *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	struct jqx *q;
	FILE *f;

	(void)state;
	tmp_template(dir, sizeof(dir));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.jq", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("def homedef: 1; this is not jq (\n", f);
	fclose(f);
	assert_int_equal(setenv("HOME", dir, 1), 0);
	q = compile_ok(".");  /* a broken ~/.jq would break every compile */
	jqx_free(q);
	expect_compile_error("homedef", "invalid jq expression 'homedef': homedef/0 is not defined");
	assert_string_equal(getenv("HOME"), dir);  /* restored */
	/* $ENV is snapshot while HOME is hidden; env is read at run time */
	snprintf(path, sizeof(path), "[env.HOME == \"%s\", $ENV.HOME]", dir);
	expect_all(path, "null", "[[true, null]]");
	snprintf(path, sizeof(path), "%s/.jq", dir);
	unlink(path);
	rmdir(dir);
	if (old)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	free(old);
}

/* ---- running in-process ---- */

static void test_first_all_and_multiple_outputs(void **state)
{
	struct jqx *q = compile_ok(".[] | .name");
	jv out;

	(void)state;
	assert_string_equal(jqx_expr(q), ".[] | .name");
	assert_int_equal(jqx_first(q, json("[{\"name\":\"a\"},{\"name\":\"b\"}]"), &out, NULL), 1);
	assert_json(out, "\"a\"");
	assert_int_equal(jqx_all(q, json("[{\"name\":\"a\"},{\"name\":\"b\"}]"), &out, NULL), 0);
	assert_json(out, "[\"a\",\"b\"]");
	jqx_free(q);
	jqx_free(NULL);
	expect_all("1, 2, 3", "null", "[1,2,3]");
	expect_all(".a + 1", "{\"a\": 41}", "[42]");
	expect_all("halt", "null", "[]");
	expect_all("1, halt, 2", "null", "[1]");
}

static void test_no_outputs(void **state)
{
	struct jqx *q = compile_ok("empty");
	struct jqx *sel = compile_ok(".[] | select(. > 5)");
	jv out;

	(void)state;
	assert_int_equal(jqx_first(q, jv_null(), &out, NULL), 0);
	assert_int_equal(jv_get_kind(out), JV_KIND_INVALID);
	assert_int_equal(jqx_all(q, jv_null(), &out, NULL), 0);
	assert_json(out, "[]");
	assert_int_equal(jqx_truthy(q, jv_null(), NULL), 0);
	assert_int_equal(jqx_first(sel, json("[1,2]"), &out, NULL), 0);
	jqx_free(q);
	jqx_free(sel);
}

static void expect_runtime_error(const char *expr, const char *input, const char *msg)
{
	struct jqx *q = compile_ok(expr);
	struct srerr e;
	jv out = jv_true();

	srerr_clear(&e);
	assert_int_equal(jqx_all(q, json(input), &out, &e), -1);
	assert_int_equal(jv_get_kind(out), JV_KIND_INVALID);
	assert_string_equal(e.code, "jq");
	assert_string_equal(e.msg, msg);
	srerr_clear(&e);
	assert_int_equal(jqx_truthy(q, json(input), &e), -1);
	assert_string_equal(e.msg, msg);
	jqx_free(q);
}

static void test_runtime_errors(void **state)
{
	(void)state;
	expect_runtime_error("error(\"x\")", "null", "error in jq expression 'error(\"x\")': x");
	expect_runtime_error(".a.b", "{\"a\": 5}",
			     "error in jq expression '.a.b': Cannot index number with string \"b\"");
	expect_runtime_error("error({\"a\":1})", "null",
			     "error in jq expression 'error({\"a\":1})': (not a string): {\"a\":1}");
	expect_runtime_error("\"bye\" | halt_error", "null",
			     "error in jq expression '\"bye\" | halt_error': bye");
	expect_runtime_error("1, 2, error(\"midway\"), 3", "null",
			     "error in jq expression '1, 2, error(\"midway\"), 3': midway");
	expect_runtime_error("input", "null", "error in jq expression 'input': break");
}

static void test_error_after_first_output_is_not_seen_by_first(void **state)
{
	struct jqx *q = compile_ok("1, error(\"later\")");
	jv out;

	(void)state;
	assert_int_equal(jqx_first(q, jv_null(), &out, NULL), 1);
	assert_json(out, "1");
	jqx_free(q);
}

static void test_invalid_input_is_an_error(void **state)
{
	struct jqx *q = compile_ok(".");
	struct srerr e;
	jv out = jv_true();

	(void)state;
	srerr_clear(&e);
	assert_int_equal(jqx_first(q, jv_invalid_with_msg(jv_string("bad")), &out, &e), -1);
	assert_int_equal(jv_get_kind(out), JV_KIND_INVALID);
	assert_string_equal(e.msg, "cannot run jq expression '.': no input value");
	assert_int_equal(jqx_truthy_isolated(q, jv_invalid(), NULL, &e), -1);
	assert_string_equal(e.code, "jq");
	jqx_free(q);
}

static void test_inputs_and_environment(void **state)
{
	(void)state;
	expect_all("[inputs]", "null", "[[]]");
	expect_all("input_filename", "null", "[null]");
	expect_all("$__loc__", "null", "[{\"file\":\"<top-level>\",\"line\":1}]");
	expect_all("try input_line_number catch \"none\"", "null", "[\"none\"]");
	setenv("JQX_TEST_VAR", "seen", 1);
	expect_all("env.JQX_TEST_VAR, $ENV.JQX_TEST_VAR", "null", "[\"seen\",\"seen\"]");
	unsetenv("JQX_TEST_VAR");
}

/* jqx_truthy, and jqx_truthy_isolated too when isolated (forks are slow under valgrind). */
static void expect_truthy(const char *expr, const char *input, int want, int isolated)
{
	struct jqx *q = compile_ok(expr);
	struct srerr e;
	int got;

	srerr_clear(&e);
	got = jqx_truthy(q, json(input), &e);
	if (got != want)
		fail_msg("jqx_truthy('%s' on %s) = %d, want %d (%s)", expr, input, got, want, e.msg);
	srerr_clear(&e);
	got = isolated ? jqx_truthy_isolated(q, json(input), roomy(), &e) : want;
	if (got != want)
		fail_msg("jqx_truthy_isolated('%s' on %s) = %d, want %d (%s)", expr, input, got,
			 want, e.msg);
	jqx_free(q);
}

static void test_truthiness_table(void **state)
{
	(void)state;
	expect_truthy("null", "null", 0, 1);
	expect_truthy("false", "null", 0, 1);
	expect_truthy("true", "null", 1, 1);
	expect_truthy("0", "null", 1, 0);
	expect_truthy("\"\"", "null", 1, 0);
	expect_truthy("[]", "null", 1, 0);
	expect_truthy("{}", "null", 1, 0);
	expect_truthy(".status == 200", "{\"status\": 200}", 1, 0);
	expect_truthy(".status == 200", "{\"status\": 503}", 0, 0);
	expect_truthy(".missing", "{}", 0, 0);
	expect_truthy("empty", "null", 0, 1);              /* no output: falsy */
	expect_truthy("true, true", "null", 1, 1);         /* every output counts */
	expect_truthy("true, false", "null", 0, 1);
	expect_truthy("false, error(\"x\")", "null", 0, 1); /* stops at the first falsy */
	expect_truthy("true, error(\"x\")", "null", -1, 1);
	expect_truthy(".[] | .ok", "[{\"ok\":true},{\"ok\":null}]", 0, 0);
}

/* One program, many records, abandoned and failed runs among them. */
static void test_reuse_after_abandoned_and_failed_runs(void **state)
{
	struct jqx *q = compile_ok(".[] | if . == 3 then error(\"three\") else . * 2 end");
	struct jqx *many = compile_ok("range(.)");
	jv out;
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		assert_int_equal(jqx_first(q, json("[1,3]"), &out, NULL), 1);
		assert_json(out, "2");
		assert_int_equal(jqx_all(q, json("[1,2,3,4]"), &out, NULL), -1);
		assert_int_equal(jqx_all(q, json("[5]"), &out, NULL), 0);
		assert_json(out, "[10]");
		assert_int_equal(jqx_first(many, jv_number(100000), &out, NULL), 1);
		assert_json(out, "0");
	}
	assert_int_equal(jqx_all(many, jv_number(100000), &out, NULL), 0);
	assert_int_equal(jv_array_length(out), 100000);
	jqx_free(q);
	jqx_free(many);
	q = compile_ok("if . == 1 then halt else . end");
	assert_int_equal(jqx_all(q, jv_number(1), &out, NULL), 0);
	assert_json(out, "[]");
	assert_int_equal(jqx_all(q, jv_number(2), &out, NULL), 0);  /* not halted any more */
	assert_json(out, "[2]");
	jqx_free(q);
}

/* ---- isolated ---- */

static void expect_same_isolated(const char *expr, const char *input)
{
	struct jqx *q = compile_ok(expr);
	struct jqx_limits zero;
	struct srerr e;
	jv here, there;
	int rc_here, rc_there;

	memset(&zero, 0, sizeof(zero));  /* a zero struct means the defaults */
	srerr_clear(&e);
	assert_int_equal(jqx_all(q, json(input), &here, &e), 0);
	if (jqx_all_isolated(q, json(input), under_valgrind() ? roomy() : &zero, &there, &e) != 0)
		fail_msg("jqx_all_isolated('%s'): %s: %s", expr, e.code, e.msg);
	if (!jv_equal(jv_copy(here), jv_copy(there)))
		fail_msg("'%s' on %s differs isolated", expr, input);
	jv_free(here);
	jv_free(there);
	rc_here = jqx_first(q, json(input), &here, NULL);
	rc_there = jqx_first_isolated(q, json(input), roomy(), &there, NULL);
	assert_int_equal(rc_here, rc_there);
	assert_true(jv_equal(here, there));
	assert_int_equal(jqx_truthy(q, json(input), NULL),
			 jqx_truthy_isolated(q, json(input), roomy(), NULL));
	jqx_free(q);
}

static void test_isolated_gives_the_same_results(void **state)
{
	(void)state;
	expect_same_isolated(".", "{\"a\": [1, 2.5, -3e-7, 1.7976931348623157e308, 100000000000000000000], \"b\": \"x\\n\\u0000y\"}");
	expect_same_isolated(".[] | .name", "[{\"name\":\"é\"},{\"name\":\"日本\"},{}]");
	expect_same_isolated("empty", "null");
	expect_same_isolated("false, true", "null");
	expect_same_isolated("1, halt, 2", "null");
	expect_same_isolated("[range(1000)] | map(tostring) | join(\",\") | length", "null");
	expect_same_isolated("{(.k): .v}", "{\"k\": \"key\\\"q\", \"v\": [[[]]]}");
}

static void expect_isolated_error(const char *expr, const char *input,
				  const struct jqx_limits *lim, const char *code)
{
	struct jqx *q = compile_ok(expr);
	struct srerr e;
	jv out = jv_true();

	srerr_clear(&e);
	assert_int_equal(jqx_all_isolated(q, json(input), lim, &out, &e), -1);
	assert_int_equal(jv_get_kind(out), JV_KIND_INVALID);
	if (strcmp(e.code, code))
		fail_msg("'%s': code %s (%s), want %s", expr, e.code, e.msg, code);
	assert_non_null(strstr(e.msg, expr));
	jqx_free(q);
}

static void test_isolated_runtime_errors(void **state)
{
	struct jqx *q = compile_ok(".a.b");
	struct srerr e;
	jv out;

	(void)state;
	srerr_clear(&e);
	assert_int_equal(jqx_first_isolated(q, json("{\"a\": 5}"), roomy(), &out, &e), -1);
	assert_string_equal(e.code, "jq");
	assert_string_equal(e.msg, "error in jq expression '.a.b': Cannot index number with string \"b\"");
	jqx_free(q);
	expect_isolated_error("1, error(\"midway\")", "null", roomy(), "jq");
	expect_isolated_error("error({\"a\":1})", "null", roomy(), "jq");
}

static void expect_crash(const char *expr, const char *input, int sig)
{
	struct jqx *q = compile_ok(expr);
	struct srerr e;
	char want[256];
	jv out;

	snprintf(want, sizeof(want), "jq crashed evaluating expression '%s' (signal %d, %s)",
		 expr, sig, strsignal(sig));
	srerr_clear(&e);
	assert_int_equal(jqx_all_isolated(q, json(input), roomy(), &out, &e), -1);
	assert_string_equal(e.code, "crashed");
	assert_string_equal(e.msg, want);
	jqx_free(q);
}

/* These abort or segfault libjq 1.6: never run them in-process. */
static void test_isolated_survives_libjq_crashes(void **state)
{
	struct jqx *q = compile_ok("todate");
	struct srerr e;
	jv out;

	(void)state;
	expect_crash(".[2147483647] = 0", "[]", SIGSEGV);
	expect_crash("todate", "1e300", SIGABRT);
	expect_crash("todate", "1e17", SIGABRT);
	srerr_clear(&e);
	assert_int_equal(jqx_truthy_isolated(q, jv_number(1e300), roomy(), &e), -1);
	assert_string_equal(e.code, "crashed");
	assert_non_null(strstr(e.msg, "jq crashed evaluating expression 'todate'"));
	/* and the same program still works afterwards */
	assert_int_equal(jqx_first_isolated(q, jv_number(0), roomy(), &out, &e), 1);
	assert_json(out, "\"1970-01-01T00:00:00Z\"");
	assert_int_equal(jqx_first(q, jv_number(0), &out, &e), 1);
	assert_json(out, "\"1970-01-01T00:00:00Z\"");
	jqx_free(q);
}

static void test_isolated_infinite_loops(void **state)
{
	struct jqx_limits wall = { .cpu_seconds = 100, .timeout_ms = 300 };
	struct jqx_limits small = roomy() ? *roomy() : (struct jqx_limits){ 0 };
	struct jqx *q = compile_ok("def f: f; f");
	struct srerr e;

	(void)state;
	expect_isolated_error("def f: f; f", "null", &quick, "timeout");  /* cpu */
	expect_isolated_error("def f: f; f", "null", &wall, "timeout");   /* wall clock */
	srerr_clear(&e);
	assert_int_equal(jqx_truthy_isolated(q, jv_null(), &wall, &e), -1);
	assert_string_equal(e.msg, "jq expression 'def f: f; f' took longer than 300 ms");
	jqx_free(q);
	small.output_bytes = 4096;
	expect_isolated_error("repeat(1)", "null", &small, "output_limit");
	expect_isolated_error("[range(2000)]", "null", &small, "output_limit");
}

static void test_isolated_memory_limit(void **state)
{
	(void)state;
	/* one array of 100 million elements: about 2.4 GB */
	expect_isolated_error(".[100000000] = 1", "[]", roomy(), "memory_limit");
}

static void test_isolated_output_too_deep_to_read_back(void **state)
{
	(void)state;
	expect_isolated_error("reduce range(300) as $i (0; [.])", "null", roomy(), "output_limit");
}

static int handler_pipe = -1;

static void tattle(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)info;
	(void)ctx;
	if (write(handler_pipe, "x", 1) < 0)
		_exit(99);
	_exit(98);
}

/* A crash handler of the caller's must not run in the child (it would run our code there). */
static void test_isolated_child_drops_inherited_handlers(void **state)
{
	struct sigaction sa, old_segv, old_abrt;
	int fds[2];
	char c;

	(void)state;
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	handler_pipe = fds[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tattle;
	sa.sa_flags = SA_SIGINFO;
	assert_int_equal(sigaction(SIGSEGV, &sa, &old_segv), 0);
	assert_int_equal(sigaction(SIGABRT, &sa, &old_abrt), 0);
	expect_crash(".[2147483647] = 0", "[]", SIGSEGV);
	expect_crash("todate", "1e300", SIGABRT);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGABRT, &old_abrt, NULL);
	assert_int_equal(read(fds[0], &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	close(fds[0]);
	close(fds[1]);
}

static pid_t test_pid;
static char exit_marker[160];

/* An atexit handler: if it runs in a child, the child left through exit(). */
static void note_exit_in_child(void)
{
	if (getpid() != test_pid && exit_marker[0])
		close(open(exit_marker, O_WRONLY | O_CREAT, 0600));
}

/*
 * The child must not flush the parent's stdio buffers, run its atexit handlers, write
 * to its stderr, or linger.
 */
static void test_isolated_child_leaves_no_trace(void **state)
{
	char path[128];
	struct jqx *q = compile_ok("stderr | todate");
	int fd, saved_err = dup(2);
	FILE *f;
	struct stat st;
	jv out;

	(void)state;
	tmp_template(path, sizeof(path));
	fd = mkstemp(path);
	test_pid = getpid();
	snprintf(exit_marker, sizeof(exit_marker), "%s.atexit", path);
	assert_int_equal(atexit(note_exit_in_child), 0);
	assert_true(fd >= 0 && saved_err >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IOFBF, 4096);
	fputs("buffered", f);
	assert_int_equal(dup2(fd, 2), 2);  /* our stderr is the file too */
	assert_int_equal(jqx_first_isolated(q, jv_number(1e300), roomy(), &out, NULL), -1);
	assert_int_equal(jqx_first_isolated(q, jv_number(0), roomy(), &out, NULL), 1);
	jv_free(out);
	dup2(saved_err, 2);
	close(saved_err);
	fflush(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	assert_int_equal(st.st_size, strlen("buffered"));
	fclose(f);
	unlink(path);
	assert_int_equal(access(exit_marker, F_OK), -1);  /* no atexit handler ran */
	exit_marker[0] = '\0';
	/* every child was reaped */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	jqx_free(q);
}


/* ---- isolated over raw text ---- */

static int truthy_text(const char *expr, const char *text, size_t len,
		       const struct jqx_limits *lim, struct srerr *e)
{
	struct jqx *q = compile_ok(expr);
	int rc;

	srerr_clear(e);
	rc = jqx_truthy_isolated_text(q, text, len, lim, e);
	jqx_free(q);
	return rc;
}

#define TEXT(s) s, sizeof(s) - 1

static void test_isolated_text_evaluates_valid_json(void **state)
{
	struct srerr e;

	(void)state;
	assert_int_equal(truthy_text(".a == 1", TEXT("{\"a\":1}"), roomy(), &e), 1);
	assert_int_equal(truthy_text(".a == 1", TEXT(" {\"a\": 2}\n"), roomy(), &e), 0);
	assert_int_equal(truthy_text("length == 3", TEXT("[1, \"x\", null]"), roomy(), &e), 1);
	assert_int_equal(truthy_text(". == \"é\"", TEXT("\"\\u00e9\""), roomy(), &e), 1);
	assert_int_equal(truthy_text(".", TEXT("false"), roomy(), &e), 0);
	assert_int_equal(truthy_text(". == 0.5", TEXT("5e-1"), roomy(), &e), 1);
	assert_int_equal(truthy_text("error(\"boom\")", TEXT("{}"), roomy(), &e), -1);
	assert_string_equal(e.code, "jq");
	assert_string_equal(e.msg, "error in jq expression 'error(\"boom\")': boom");
}

static void expect_text_rejected(const char *text, size_t len, const char *msg_start)
{
	struct srerr e;

	if (truthy_text("true", text, len, roomy(), &e) != -1)
		fail_msg("'%.*s' was accepted", (int)len, text);
	assert_string_equal(e.code, "json_parse");
	if (strncmp(e.msg, msg_start, strlen(msg_start)))
		fail_msg("'%.*s': message '%s' does not start with '%s'", (int)len, text, e.msg,
			 msg_start);
	assert_null(strchr(e.msg, '\n'));
}

/* What jq 1.6's own parser lets through is refused, before the expression runs. */
static void test_isolated_text_rejects_invalid_json(void **state)
{
	(void)state;
	expect_text_rejected(TEXT("{\"a\":01}"), "line 1: invalid JSON");
	expect_text_rejected(TEXT("nan"), "line 1: invalid JSON");
	expect_text_rejected(TEXT("[NaN]"), "line 1: invalid JSON");
	expect_text_rejected(TEXT("\"\xff\""), "line 1: invalid JSON");
	expect_text_rejected(TEXT("{} {}"), "line 1: invalid JSON: more than one value");
	expect_text_rejected(TEXT("<html>"), "line 1: invalid JSON");
	expect_text_rejected(TEXT("\n{\"a\":"), "line 2: invalid JSON: premature EOF");
	expect_text_rejected(TEXT(""), "invalid JSON: no value");
	expect_text_rejected(NULL, 0, "invalid JSON: no value");
}

/* The text is parsed in the child: what kills libjq or exhausts memory kills only it. */
static void test_isolated_text_crash_and_memory_kill_only_the_child(void **state)
{
	struct jqx_limits small = { .memory_bytes = 32u << 20 };
	struct srerr e;
	size_t n = 24u << 20, i;
	char *big;

	(void)state;
	assert_int_equal(truthy_text("todate", TEXT("1e17"), roomy(), &e), -1);
	assert_string_equal(e.code, "crashed");
	assert_int_equal(truthy_text(".[2147483647] = 0", TEXT("[]"), roomy(), &e), -1);
	assert_string_equal(e.code, "crashed");
	if (under_valgrind())   /* valgrind does its own memory accounting */
		return;
	/* 12 million array elements: far more than 32 MiB as jv values */
	big = malloc(n);
	assert_non_null(big);
	big[0] = '[';
	for (i = 1; i + 1 < n; i += 2) {
		big[i] = '0';
		big[i + 1] = ',';
	}
	big[n - 1] = ']';
	if (big[n - 2] == ',')
		big[n - 2] = '0';
	assert_int_equal(truthy_text("length > 0", big, n, &small, &e), -1);
	assert_string_equal(e.code, "memory_limit");
	free(big);
	/* the caller is unharmed */
	assert_int_equal(truthy_text(".a", TEXT("{\"a\":true}"), roomy(), &e), 1);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_long_expression_is_shortened_in_messages),
		cmocka_unit_test(test_import_and_include_are_refused),
		cmocka_unit_test(test_home_jq_is_not_loaded),
		cmocka_unit_test(test_first_all_and_multiple_outputs),
		cmocka_unit_test(test_no_outputs),
		cmocka_unit_test(test_runtime_errors),
		cmocka_unit_test(test_error_after_first_output_is_not_seen_by_first),
		cmocka_unit_test(test_invalid_input_is_an_error),
		cmocka_unit_test(test_inputs_and_environment),
		cmocka_unit_test(test_truthiness_table),
		cmocka_unit_test(test_reuse_after_abandoned_and_failed_runs),
		cmocka_unit_test(test_isolated_gives_the_same_results),
		cmocka_unit_test(test_isolated_runtime_errors),
		cmocka_unit_test(test_isolated_survives_libjq_crashes),
		cmocka_unit_test(test_isolated_infinite_loops),
		cmocka_unit_test(test_isolated_memory_limit),
		cmocka_unit_test(test_isolated_output_too_deep_to_read_back),
		cmocka_unit_test(test_isolated_child_drops_inherited_handlers),
		cmocka_unit_test(test_isolated_child_leaves_no_trace),
		cmocka_unit_test(test_isolated_text_evaluates_valid_json),
		cmocka_unit_test(test_isolated_text_rejects_invalid_json),
		cmocka_unit_test(test_isolated_text_crash_and_memory_kill_only_the_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
