/*
 * Unit tests of src/lib/http against the real fixture server
 * (tests/helpers/fixture-server.py), over plain HTTP and over HTTPS with the test PKI
 * of tests/helpers/mkcerts.sh.  The group setup starts five servers (plain, and TLS
 * with the valid, expired, wrong-host and chain certificates); every server writes
 * its request log to a file the tests read to see what actually arrived.
 *
 * Run from the source tree's root (tests/run does), or set SRETOOLS_SRCDIR.
 * No test asserts a duration: timing tests check signs and sums only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jq.h>

#include "http.h"
#include "srerr.h"
#include "tm.h"
#include "banned.h"

#define LONG_TIMEOUT 30000   /* generous: valgrind makes TLS slow */

struct server {
	const char *name;
	const char *cert;       /* NULL: plain HTTP */
	pid_t pid;
	int port;
	char log[PATH_MAX];
};

static struct server plain = { "plain", NULL, 0, 0, "" };
static struct server valid = { "valid", "valid", 0, 0, "" };
static struct server expired = { "expired", "expired", 0, 0, "" };
static struct server wronghost = { "wronghost", "wronghost", 0, 0, "" };
static struct server chain = { "chain", "chain", 0, 0, "" };
static struct server *servers[] = { &plain, &valid, &expired, &wronghost, &chain };
#define NSERVERS (sizeof(servers) / sizeof(servers[0]))

static char tmpdir[PATH_MAX];
static char certdir[PATH_MAX];
static char cacert[PATH_MAX];

/* ---- helpers -------------------------------------------------------------------- */

/* execvp wants char *const[]; the strings are never written to. */
static char *unconst(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = { .c = s };

	return u.m;
}

static const char *srcdir(void)
{
	const char *d = getenv("SRETOOLS_SRCDIR");

	return d && *d ? d : ".";
}

static const char *path_in(const char *dir, const char *name)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *p = bufs[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

/* A URL on server s: https://localhost:PORT or http://127.0.0.1:PORT, then fmt. */
static const char *url(const struct server *s, const char *fmt, ...)
{
	static char bufs[8][4096];
	static int next;
	char *p = bufs[next++ % 8];
	int n;
	va_list ap;

	n = snprintf(p, 4096, s->cert ? "https://localhost:%d" : "http://127.0.0.1:%d", s->port);
	va_start(ap, fmt);
	vsnprintf(p + n, 4096 - (size_t)n, fmt, ap);
	va_end(ap);
	return p;
}

static struct http_request request(const char *u)
{
	struct http_request r;

	memset(&r, 0, sizeof(r));
	r.url = u;
	r.timeout_ms = LONG_TIMEOUT;
	return r;
}

static struct http_result *fetch(const struct http_request *req)
{
	struct srerr e;
	struct http_result *r = http_fetch(req, &e);

	if (!r)
		fail_msg("http_fetch %s: %s: %s", req->url, e.code, e.msg);
	return r;
}

static void assert_ok_status(const struct http_result *r, long status)
{
	if (r->failed)
		fail_msg("unexpected failure: %s: %s", r->err.code, r->err.msg);
	assert_int_equal(r->status, status);
}

static void assert_failed(const struct http_result *r, const char *code)
{
	if (!r->failed)
		fail_msg("expected failure '%s', got status %ld", code, r->status);
	assert_string_equal(r->err.code, code);
	assert_null(strchr(r->err.msg, '\n'));
}

static int run_wait(char *const argv[], const char *out)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int read_port(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[32] = "";
	long port;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	port = strtol(line, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : 0;
}

static int start_server(struct server *s, const char *routes)
{
	char portfile[PATH_MAX], out[PATH_MAX], ppid[32], script[PATH_MAX];
	char crt[PATH_MAX], key[PATH_MAX], name[64];
	char *argv[24];
	int n = 0, i, status;

	snprintf(portfile, sizeof(portfile), "%s/%s.port", tmpdir, s->name);
	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, s->name);
	snprintf(s->log, sizeof(s->log), "%s/%s.log", tmpdir, s->name);
	snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
	snprintf(script, sizeof(script), "%s/tests/helpers/fixture-server.py", srcdir());
	argv[n++] = unconst("python3");
	argv[n++] = script;
	argv[n++] = unconst("--port");
	argv[n++] = unconst("0");
	argv[n++] = unconst("--port-file");
	argv[n++] = portfile;
	argv[n++] = unconst("--log");
	argv[n++] = s->log;
	argv[n++] = unconst("--watch-pid");
	argv[n++] = ppid;
	argv[n++] = unconst("--max-lifetime");
	argv[n++] = unconst("1800");
	if (s->cert) {
		snprintf(name, sizeof(name), "%s.crt", s->cert);
		snprintf(crt, sizeof(crt), "%s", path_in(certdir, name));
		snprintf(name, sizeof(name), "%s.key", s->cert);
		snprintf(key, sizeof(key), "%s", path_in(certdir, name));
		argv[n++] = unconst("--tls-cert");
		argv[n++] = crt;
		argv[n++] = unconst("--tls-key");
		argv[n++] = key;
	}
	if (routes) {
		argv[n++] = unconst("--routes");
		argv[n++] = unconst(routes);
	}
	argv[n] = NULL;

	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int devnull = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (devnull >= 0)
			dup2(devnull, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {  /* 20 s */
		if ((s->port = read_port(portfile)) > 0)
			return 0;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			break;
		}
		usleep(50000);
	}
	fprintf(stderr, "# fixture server %s did not start; see %s\n", s->name, out);
	return -1;
}

static void stop_server(struct server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

static int write_text(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static const char routes_json[] =
	"{\"/loop\": {\"redirect\": \"/loop\"},\n"
	" \"/c0\": {\"redirect\": \"/c1\"}, \"/c1\": {\"redirect\": \"/c2\"},\n"
	" \"/c2\": {\"redirect\": \"/c3\"}, \"/c3\": {\"redirect\": \"/c4\"},\n"
	" \"/c4\": {\"redirect\": \"/c5\"}, \"/c5\": {\"redirect\": \"/c6\"},\n"
	" \"/c6\": {\"body\": \"end of chain\"}}\n";

static const char *const proxy_vars[] = {
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
};

static int group_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *argv[4], routes[PATH_MAX];
	size_t i;

	(void)state;
	/* every test talks to 127.0.0.1 directly; test_proxy sets its own */
	for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_http.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(certdir, sizeof(certdir), "%s/certs", tmpdir);
	snprintf(cacert, sizeof(cacert), "%s/ca.crt", certdir);
	argv[0] = unconst("bash");
	argv[1] = unconst(path_in(srcdir(), "tests/helpers/mkcerts.sh"));
	argv[2] = certdir;
	argv[3] = NULL;
	if (run_wait(argv, path_in(tmpdir, "mkcerts.out")) != 0) {
		fprintf(stderr, "# mkcerts.sh failed; see %s/mkcerts.out\n", tmpdir);
		return -1;
	}
	snprintf(routes, sizeof(routes), "%s/routes.json", tmpdir);
	if (write_text(routes, routes_json) < 0)
		return -1;
	for (i = 0; i < NSERVERS; i++)
		if (start_server(servers[i], servers[i] == &plain ? routes : NULL) < 0)
			return -1;
	return http_global_init(NULL);
}

static int group_teardown(void **state)
{
	size_t i;
	char *argv[] = { unconst("rm"), unconst("-rf"), tmpdir, NULL };

	(void)state;
	for (i = 0; i < NSERVERS; i++)
		stop_server(servers[i]);
	if (tmpdir[0])
		run_wait(argv, "/dev/null");
	return 0;
}

/* The logged requests of server s whose path is path, as a jv array (owned by caller). */
static jv logged(const struct server *s, const char *path)
{
	FILE *f = fopen(s->log, "r");
	char *line = NULL;
	size_t cap = 0;
	jv all = jv_array();

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {   /* a logged 1 MiB body makes a long line */
		jv rec = jv_parse(line);
		jv p;

		assert_int_equal(jv_get_kind(rec), JV_KIND_OBJECT);
		p = jv_object_get(jv_copy(rec), jv_string("path"));
		if (jv_get_kind(p) == JV_KIND_STRING && !strcmp(jv_string_value(p), path))
			all = jv_array_append(all, jv_copy(rec));
		jv_free(p);
		jv_free(rec);
	}
	free(line);
	fclose(f);
	return all;
}

/* How many logged requests have a path starting with prefix. */
static int count_logged_prefix(const struct server *s, const char *prefix)
{
	FILE *f = fopen(s->log, "r");
	char *line = NULL, want[256];
	size_t cap = 0;
	int n = 0;

	assert_non_null(f);
	snprintf(want, sizeof(want), "\"path\":\"%s", prefix);
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, want))
			n++;
	free(line);
	fclose(f);
	return n;
}

static int count_logged(const struct server *s, const char *path)
{
	return jv_array_length(logged(s, path));
}

/* The only logged request to path (the caller owns it). */
static jv only_request(const struct server *s, const char *path)
{
	jv all = logged(s, path);

	assert_int_equal(jv_array_length(jv_copy(all)), 1);
	return jv_array_get(all, 0);
}

static void assert_jv_string(jv obj, const char *key, const char *want)
{
	jv v = jv_object_get(obj, jv_string(key));

	if (jv_get_kind(v) != JV_KIND_STRING)
		fail_msg("field '%s' is not a string", key);
	assert_string_equal(jv_string_value(v), want);
	jv_free(v);
}

static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static double phase_sum(const struct http_timing *t)
{
	return t->dns + t->connect + t->tls + t->ttfb + t->transfer;
}

static void assert_timing_sane(const struct http_timing *t)
{
	assert_true(t->dns >= 0 && t->connect >= 0 && t->tls >= 0);
	assert_true(t->ttfb >= 0 && t->transfer >= 0 && t->total > 0);
	/* deltas, not cumulative values: together never more than the whole */
	assert_true(phase_sum(t) <= t->total + 0.001);
	assert_true(phase_sum(t) > 0);
}

/* ---- plain HTTP ------------------------------------------------------------------- */

static void test_get_200_body_and_headers(void **state)
{
	struct http_request req = request(url(&plain, "/hello?body=hi%%20there&header=X-Test:%%20yes"));
	struct http_result *r;
	int marker;

	(void)state;
	req.user = &marker;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_ptr_equal(r->user, &marker);
	assert_string_equal(r->body, "hi there");
	assert_int_equal(r->body_len, 8);
	assert_string_equal(r->version, "HTTP/1.1");
	assert_string_equal(http_result_header(r, "x-test"), "yes");
	assert_string_equal(http_result_header(r, "Content-Length"), "8");
	assert_null(http_result_header(r, "X-Absent"));
	assert_null(http_result_header(NULL, "X-Test"));
	assert_string_equal(r->ip, "127.0.0.1");
	assert_int_equal(r->port, plain.port);
	assert_int_equal(r->redirects, 0);
	assert_int_equal(r->tls.present, 0);
	assert_true(r->retry_after_s < 0);
	assert_true(r->start_ms > 0 && r->start_ms <= tm_now_ms());
	assert_string_equal(r->err.code, "");
	http_result_free(r);
}

static void test_status_503_is_a_response(void **state)
{
	struct http_request req = request(url(&plain, "/down?status=503"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_ok_status(r, 503);
	assert_string_equal(r->body, "Service Unavailable\n");
	http_result_free(r);
}

static void test_empty_body_is_empty_string(void **state)
{
	struct http_request req = request(url(&plain, "/nothing?status=204"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_ok_status(r, 204);
	assert_non_null(r->body);
	assert_string_equal(r->body, "");
	assert_int_equal(r->body_len, 0);
	http_result_free(r);
}

static void test_head_request(void **state)
{
	struct http_request req = request(url(&plain, "/head?size=5000"));
	struct http_result *r;

	(void)state;
	req.method = "HEAD";
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->body_len, 0);
	assert_string_equal(http_result_header(r, "Content-Length"), "5000");
	http_result_free(r);
	assert_int_equal(count_logged(&plain, "/head"), 1);
}

static void test_timing_deltas(void **state)
{
	struct http_request req = request(url(&plain, "/timed?delay=0.05&size=100000&chunk_size=1000"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_ok_status(r, 200);
	assert_timing_sane(&r->timing);
	assert_true(r->timing.tls == 0);   /* no TLS over http:// */
	assert_true(r->timing.ttfb > 0);   /* the server waited before answering */
	http_result_free(r);
}

static void test_timing_https(void **state)
{
	struct http_request req = request(url(&valid, "/timed-tls"));
	struct http_result *r;

	(void)state;
	req.cacert = cacert;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_timing_sane(&r->timing);
	assert_true(r->timing.tls > 0);
	http_result_free(r);
}

static void test_body_cap_endless(void **state)
{
	struct http_request req = request(url(&plain, "/endless?endless=1"));
	struct http_result *r;

	(void)state;
	req.max_body = 100000;
	r = fetch(&req);
	assert_failed(r, "body_too_large");
	assert_int_equal(r->status, 200);
	assert_true(r->body_len <= 100000);
	assert_non_null(strstr(r->err.msg, "exceeds the limit of 100000 bytes"));
	assert_non_null(strstr(r->err.msg, url(&plain, "/endless")));
	assert_timing_sane(&r->timing);
	http_result_free(r);
}

static void test_body_cap_content_length(void **state)
{
	struct http_request req = request(url(&plain, "/big?size=5000"));
	struct http_result *r;

	(void)state;
	req.max_body = 4999;
	r = fetch(&req);
	assert_failed(r, "body_too_large");
	http_result_free(r);

	req.max_body = 5000;   /* exactly the limit is fine */
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->body_len, 5000);
	assert_int_equal(strlen(r->body), 5000);
	http_result_free(r);
}

static void test_body_cap_default(void **state)
{
	struct http_request req = request(url(&plain, "/huge?size=1048577&chunked=1"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_failed(r, "body_too_large");
	assert_true(r->body_len <= HTTP_DEFAULT_MAX_BODY);
	http_result_free(r);
}

static void test_timeout_waiting(void **state)
{
	struct http_request req = request(url(&plain, "/slow?delay=10"));
	struct http_result *r;

	(void)state;
	req.timeout_ms = 1500;
	r = fetch(&req);
	assert_failed(r, "timeout");
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->err.msg, "timeout after 1500 ms waiting for the response from"));
	assert_timing_sane(&r->timing);
	assert_true(r->timing.transfer == 0);
	http_result_free(r);
}

/* messages name display_url, never the real URL it stands for */
static void test_display_url_in_messages(void **state)
{
	struct http_request req = request(url(&plain, "/slow?delay=10&t=REALSECRET42"));
	struct http_result *r;

	(void)state;
	req.display_url = url(&plain, "/slow?delay=10&t={{TOK}}");
	req.timeout_ms = 300;
	r = fetch(&req);
	assert_failed(r, "timeout");
	assert_null(strstr(r->err.msg, "REALSECRET42"));
	assert_non_null(strstr(r->err.msg, "&t={{TOK}}"));
	http_result_free(r);
}

static void test_timeout_in_body(void **state)
{
	struct http_request req = request(url(&plain, "/slowbody?size=100&chunk_size=10&slow_body=3"));
	struct http_result *r;

	(void)state;
	req.timeout_ms = 1500;
	r = fetch(&req);
	assert_failed(r, "timeout");
	assert_int_equal(r->status, 200);   /* the response had begun */
	assert_non_null(strstr(r->err.msg, "reading the response body"));
	assert_timing_sane(&r->timing);
	http_result_free(r);
}

static void test_connection_refused(void **state)
{
	int port = closed_port();
	char u[128], want[128];
	struct http_request req;
	struct http_result *r;

	(void)state;
	snprintf(u, sizeof(u), "http://user:hunter2@127.0.0.1:%d/x", port);
	req = request(u);
	r = fetch(&req);
	assert_failed(r, "connect");
	snprintf(want, sizeof(want), "connect to 127.0.0.1 port %d failed: Connection refused", port);
	assert_string_equal(r->err.msg, want);
	assert_null(strstr(r->err.msg, "hunter2"));
	assert_int_equal(r->status, 0);
	/* failed in connect: dns and connect only, and they make up the whole */
	assert_true(r->timing.tls == 0 && r->timing.ttfb == 0 && r->timing.transfer == 0);
	assert_true(phase_sum(&r->timing) <= r->timing.total + 0.001);
	assert_true(phase_sum(&r->timing) >= r->timing.total - 0.001);
	http_result_free(r);
}

static void test_unresolvable_name(void **state)
{
	struct http_request req = request("http://no-such-host.sretools.invalid/x");
	struct http_result *r = fetch(&req);

	(void)state;
	assert_failed(r, "dns");
	assert_string_equal(r->err.msg, "could not resolve host 'no-such-host.sretools.invalid'");
	http_result_free(r);
}

static void test_empty_reply_and_truncated(void **state)
{
	struct http_request req = request(url(&plain, "/closed?close=1"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_failed(r, "protocol");
	assert_non_null(strstr(r->err.msg, "empty reply from server"));
	http_result_free(r);

	req = request(url(&plain, "/cut?truncate=1&size=1000"));
	r = fetch(&req);
	assert_failed(r, "protocol");
	assert_int_equal(r->status, 200);
	http_result_free(r);
}

/* ---- redirects ---------------------------------------------------------------------- */

static void test_redirect_followed(void **state)
{
	struct http_request req = request(url(&plain, "/from?redirect=/to%%3Fbody%%3Darrived"));
	struct http_result *r;

	(void)state;
	req.follow = 1;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->redirects, 1);
	assert_string_equal(r->body, "arrived");
	assert_null(http_result_header(r, "Location"));  /* the final response's headers */
	assert_timing_sane(&r->timing);
	http_result_free(r);
	assert_int_equal(count_logged(&plain, "/to"), 1);
}

static void test_redirect_chain_of_five(void **state)
{
	struct http_request req = request(url(&plain, "/c1"));
	struct http_result *r;

	(void)state;
	req.follow = 1;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->redirects, 5);
	assert_string_equal(r->body, "end of chain");
	http_result_free(r);
}

static void test_too_many_redirects(void **state)
{
	struct http_request req = request(url(&plain, "/c0"));
	struct http_result *r;

	(void)state;
	req.follow = 1;
	r = fetch(&req);
	assert_failed(r, "too_many_redirects");
	assert_non_null(strstr(r->err.msg, "more than 5"));
	http_result_free(r);

	req = request(url(&plain, "/loop"));
	req.follow = 1;
	r = fetch(&req);
	assert_failed(r, "too_many_redirects");
	http_result_free(r);
}

static void test_redirect_to_file_refused(void **state)
{
	struct http_request req = request(url(&plain, "/tofile?redirect=file:///etc/passwd"));
	struct http_result *r;

	(void)state;
	req.follow = 1;
	r = fetch(&req);
	assert_failed(r, "redirect_refused");
	assert_string_equal(r->err.msg,
			    "redirect to 'file:///etc/passwd' refused: only http and https are followed");
	assert_int_equal(r->redirects, 0);   /* refused, so not followed */
	assert_null(strstr(r->body, "root:"));
	http_result_free(r);

	req = request(url(&plain, "/toftp?redirect=ftp://127.0.0.1/x"));
	req.follow = 1;
	r = fetch(&req);
	assert_failed(r, "redirect_refused");
	http_result_free(r);
}

static void test_redirect_not_followed(void **state)
{
	struct http_request req = request(url(&plain, "/stay?redirect=file:///etc/passwd"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_ok_status(r, 302);
	assert_int_equal(r->redirects, 0);
	assert_string_equal(http_result_header(r, "Location"), "file:///etc/passwd");
	http_result_free(r);
}

/* libcurl does not carry Authorization or Cookie to another host: check it stays so. */
static void test_redirect_drops_secrets_across_hosts(void **state)
{
	const char *hdr[] = { "Authorization: Bearer sekrit", "Cookie: c=sekrit", "X-Plain: kept" };
	struct http_request req;
	struct http_result *r;
	char u[256];
	jv rec, headers, v;

	(void)state;
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/auth-from?redirect=http://localhost:%d/auth-to",
		 plain.port, plain.port);
	req = request(u);
	req.follow = 1;
	req.headers = hdr;
	req.nheaders = 3;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->redirects, 1);
	http_result_free(r);
	rec = only_request(&plain, "/auth-to");
	headers = jv_object_get(rec, jv_string("headers"));
	assert_jv_string(jv_copy(headers), "x-plain", "kept");
	v = jv_object_get(jv_copy(headers), jv_string("authorization"));
	assert_true(jv_get_kind(v) == JV_KIND_INVALID);
	jv_free(v);
	v = jv_object_get(headers, jv_string("cookie"));
	assert_true(jv_get_kind(v) == JV_KIND_INVALID);
	jv_free(v);
}

/* ---- TLS ------------------------------------------------------------------------------ */

static void test_https_verified_facts(void **state)
{
	struct http_request req = request(url(&valid, "/tls-ok"));
	struct http_result *r;
	int64_t now = tm_now_ms();

	(void)state;
	req.cacert = cacert;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->tls.present, 1);
	assert_int_equal(r->tls.verified, 1);
	assert_string_equal(r->tls.verify_error, "");
	assert_int_equal(strncmp(r->tls.version, "TLSv1.", 6), 0);
	assert_string_equal(r->tls.subject, "CN=localhost");
	assert_string_equal(r->tls.issuer, "CN=sretools test CA");
	assert_true(r->tls.not_after_ms > now);
	assert_true(r->tls.chain_earliest_not_after_ms == r->tls.not_after_ms);
	http_result_free(r);
}

static void test_https_chain_earliest(void **state)
{
	struct http_request req = request(url(&chain, "/chain"));
	struct http_result *r;

	(void)state;
	req.cacert = cacert;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->tls.verified, 1);
	assert_string_equal(r->tls.issuer, "CN=sretools test intermediate CA");
	/* the intermediate (+10 days) expires before the leaf (+90 days) */
	assert_true(r->tls.chain_earliest_not_after_ms < r->tls.not_after_ms);
	assert_true(r->tls.chain_earliest_not_after_ms > tm_now_ms());
	http_result_free(r);
}

static void test_https_expired_not_sent(void **state)
{
	struct http_request req = request(url(&expired, "/secret-never-sent"));
	const char *hdr[] = { "Authorization: Bearer sekrit" };
	struct http_result *r;

	(void)state;
	req.cacert = cacert;
	req.headers = hdr;
	req.nheaders = 1;
	r = fetch(&req);
	assert_failed(r, "tls");
	assert_int_equal(r->status, 0);
	assert_int_equal(r->tls.present, 1);
	assert_int_equal(r->tls.verified, 0);
	assert_string_equal(r->tls.verify_error, "certificate has expired");
	assert_true(r->tls.not_after_ms < tm_now_ms());
	assert_string_equal(r->tls.subject, "CN=localhost");
	assert_non_null(strstr(r->err.msg, "certificate has expired"));
	assert_non_null(strstr(r->err.msg, "localhost"));
	assert_timing_sane(&r->timing);
	assert_true(r->timing.ttfb == 0 && r->timing.transfer == 0);
	http_result_free(r);
	/* the request never went out over the unverified connection */
	assert_int_equal(count_logged(&expired, "/secret-never-sent"), 0);
}

static void test_https_expired_insecure(void **state)
{
	struct http_request req = request(url(&expired, "/insecure-expired"));
	struct http_result *r;

	(void)state;
	req.cacert = cacert;
	req.insecure = 1;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->tls.present, 1);
	assert_int_equal(r->tls.verified, 0);
	assert_string_equal(r->tls.verify_error, "certificate has expired");
	http_result_free(r);
	assert_int_equal(count_logged(&expired, "/insecure-expired"), 1);
}

static void test_https_wrong_host(void **state)
{
	struct http_request req = request(url(&wronghost, "/wrong-host"));
	struct http_result *r;

	(void)state;
	req.cacert = cacert;
	r = fetch(&req);
	assert_failed(r, "tls");
	assert_int_equal(r->tls.verified, 0);
	assert_string_equal(r->tls.verify_error, "hostname mismatch");
	assert_string_equal(r->tls.subject, "CN=wrong.example");
	http_result_free(r);
	assert_int_equal(count_logged(&wronghost, "/wrong-host"), 0);

	req.insecure = 1;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->tls.verified, 0);
	assert_string_equal(r->tls.verify_error, "hostname mismatch");
	http_result_free(r);
}

static void test_https_insecure_valid_by_ip(void **state)
{
	char u[128];
	struct http_request req;
	struct http_result *r;

	(void)state;
	/* our own verification: the certificate names IP 127.0.0.1 */
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/by-ip", valid.port);
	req = request(u);
	req.cacert = cacert;
	req.insecure = 1;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->tls.verified, 1);
	assert_string_equal(r->tls.verify_error, "");
	http_result_free(r);
}

static void test_https_unknown_ca(void **state)
{
	struct http_request req = request(url(&valid, "/unknown-ca"));
	struct http_result *r = fetch(&req);   /* the system's CAs: the test CA is not one */

	(void)state;
	assert_failed(r, "tls");
	assert_int_equal(r->tls.present, 1);
	assert_int_equal(r->tls.verified, 0);
	assert_true(r->tls.verify_error[0] != '\0');
	http_result_free(r);
	assert_int_equal(count_logged(&valid, "/unknown-ca"), 0);
}

/* A listener that never accepts: the kernel completes TCP, nobody speaks TLS. */
static void test_timeout_in_handshake(void **state)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char u[128];
	struct http_request req;
	struct http_result *r;

	(void)state;
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/", ntohs(a.sin_port));
	req = request(u);
	req.timeout_ms = 1500;
	r = fetch(&req);
	assert_failed(r, "timeout");
	assert_non_null(strstr(r->err.msg, "timeout after 1500 ms in the tls handshake with 127.0.0.1"));
	assert_int_equal(r->tls.present, 0);
	/* the handshake, not the TCP connect, took the time */
	assert_true(r->timing.tls > 0 && r->timing.ttfb == 0 && r->timing.transfer == 0);
	assert_true(phase_sum(&r->timing) >= r->timing.total - 0.001);
	assert_timing_sane(&r->timing);
	http_result_free(r);

	req.connect_only = 1;
	req.connect_timeout_ms = 1000;
	r = fetch(&req);
	assert_failed(r, "timeout");
	assert_non_null(strstr(r->err.msg, "timeout after 1000 ms in the tls handshake"));
	http_result_free(r);
	close(fd);
}

static void test_tls_to_plain_server(void **state)
{
	char u[128];
	struct http_request req;
	struct http_result *r;

	(void)state;
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/not-tls", plain.port);
	req = request(u);
	r = fetch(&req);
	assert_failed(r, "tls");
	assert_int_equal(r->tls.present, 0);
	assert_non_null(strstr(r->err.msg, "tls handshake with 127.0.0.1 port"));
	http_result_free(r);
}

/* ---- headers, bodies, Retry-After ---------------------------------------------------------- */

static void test_retry_after(void **state)
{
	struct http_request req = request(url(&plain, "/busy?status=503&retry_after=7"));
	struct http_result *r = fetch(&req);

	(void)state;
	assert_ok_status(r, 503);
	assert_true(r->retry_after_s == 7);
	http_result_free(r);

	req = request(url(&plain, "/busy?status=429&retry_after_date=3600"));
	r = fetch(&req);
	assert_ok_status(r, 429);
	assert_true(r->retry_after_s > 3000 && r->retry_after_s <= 3601);
	http_result_free(r);

	req = request(url(&plain, "/busy?status=503&retry_after_date=-0"));
	r = fetch(&req);
	assert_true(r->retry_after_s >= 0 && r->retry_after_s <= 1);
	http_result_free(r);

	req = request(url(&plain, "/busy?status=503&retry_after=soon"));
	r = fetch(&req);
	assert_true(r->retry_after_s < 0);
	http_result_free(r);

	req = request(url(&plain, "/busy?status=503&retry_after=1.5"));
	r = fetch(&req);
	assert_true(r->retry_after_s < 0);   /* delta-seconds are whole numbers */
	http_result_free(r);
}

static void test_post_body_and_headers(void **state)
{
	static const char body[] = "line one\nline two\twith tab";
	const char *hdr[] = {
		"X-Custom: value with  spaces",
		"Authorization: Bearer abc.def",
		"Content-Type: text/plain",
	};
	struct http_request req = request(url(&plain, "/post-here?q=1"));
	struct http_result *r;
	jv rec, headers;

	(void)state;
	req.body = body;
	req.body_len = strlen(body);
	req.headers = hdr;
	req.nheaders = 3;
	r = fetch(&req);
	assert_ok_status(r, 200);
	http_result_free(r);

	rec = only_request(&plain, "/post-here");
	assert_jv_string(jv_copy(rec), "method", "POST");
	assert_jv_string(jv_copy(rec), "body", body);
	assert_jv_string(jv_copy(rec), "query", "q=1");
	headers = jv_object_get(rec, jv_string("headers"));
	assert_jv_string(jv_copy(headers), "x-custom", "value with  spaces");
	assert_jv_string(jv_copy(headers), "authorization", "Bearer abc.def");
	assert_jv_string(jv_copy(headers), "content-type", "text/plain");
	assert_jv_string(jv_copy(headers), "content-length", "26");
	{
		jv expect = jv_object_get(jv_copy(headers), jv_string("expect"));

		assert_true(jv_get_kind(expect) == JV_KIND_INVALID);  /* absent */
		jv_free(expect);
	}
	{
		jv ua = jv_object_get(headers, jv_string("user-agent"));

		assert_int_equal(strncmp(jv_string_value(ua), "sretools/", 9), 0);
		jv_free(ua);
	}
}

/* libcurl would add "Expect: 100-continue" to a large body; the module removes it. */
static void test_large_post_without_expect(void **state)
{
	size_t len = (1u << 20) + 12345;
	char *body = malloc(len);
	struct http_request req = request(url(&plain, "/post-large"));
	struct http_result *r;
	jv rec, headers, expect, bytes;

	(void)state;
	assert_non_null(body);
	memset(body, 'z', len);
	req.body = body;
	req.body_len = len;
	r = fetch(&req);
	free(body);
	assert_ok_status(r, 200);
	http_result_free(r);
	rec = only_request(&plain, "/post-large");
	bytes = jv_object_get(jv_copy(rec), jv_string("body_bytes"));
	assert_true(jv_number_value(bytes) == (double)len);
	jv_free(bytes);
	headers = jv_object_get(rec, jv_string("headers"));
	expect = jv_object_get(headers, jv_string("expect"));
	assert_true(jv_get_kind(expect) == JV_KIND_INVALID);  /* absent */
	jv_free(expect);
}

static void test_put_binary_body_and_methods(void **state)
{
	static const char body[] = { 'a', '\0', 'b', '\n' };
	struct http_request req = request(url(&plain, "/put-here"));
	struct http_result *r;
	jv rec;

	(void)state;
	req.method = "PUT";
	req.body = body;
	req.body_len = sizeof(body);
	r = fetch(&req);
	assert_ok_status(r, 200);
	http_result_free(r);
	rec = only_request(&plain, "/put-here");
	assert_jv_string(jv_copy(rec), "method", "PUT");
	assert_jv_string(rec, "body_base64", "YQBiCg==");

	req = request(url(&plain, "/post-empty"));
	req.method = "POST";
	r = fetch(&req);
	assert_ok_status(r, 200);
	http_result_free(r);
	rec = only_request(&plain, "/post-empty");
	assert_jv_string(jv_copy(rec), "method", "POST");
	assert_jv_string(rec, "body", "");

	req = request(url(&plain, "/delete-here"));
	req.method = "DELETE";
	r = fetch(&req);
	assert_ok_status(r, 200);
	http_result_free(r);
	rec = only_request(&plain, "/delete-here");
	assert_jv_string(rec, "method", "DELETE");
}

static void test_many_response_headers_capped(void **state)
{
	char path[8192];
	size_t n = 0;
	int i;
	struct http_request req;
	struct http_result *r;

	(void)state;
	n += (size_t)snprintf(path + n, sizeof(path) - n, "/many?x=1");
	for (i = 0; i < 120; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "&header=X-H%d:%%20v%d", i, i);
	req = request(url(&plain, "%s", path));
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_int_equal(r->nheaders, HTTP_MAX_HEADERS);
	assert_string_equal(http_result_header(r, "X-H0"), "v0");
	http_result_free(r);
}

static void test_header_bytes_capped(void **state)
{
	size_t big = HTTP_MAX_HEADER_BYTES + 100, n;
	char *routes = malloc(big + 128);
	struct http_request req = request(url(&plain, "/_routes"));
	struct http_result *r;

	(void)state;
	assert_non_null(routes);
	n = (size_t)snprintf(routes, 128, "{\"/bigheader\": {\"headers\": {\"X-Big\": \"");
	memset(routes + n, 'b', big);
	snprintf(routes + n + big, 128, "\", \"X-Small\": \"s\"}}}");
	req.body = routes;
	req.body_len = strlen(routes);
	r = fetch(&req);
	free(routes);
	assert_ok_status(r, 200);
	http_result_free(r);

	req = request(url(&plain, "/bigheader"));
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_null(http_result_header(r, "X-Big"));     /* over the limit: dropped */
	assert_string_equal(http_result_header(r, "X-Small"), "s");
	http_result_free(r);
}

static void test_proxy(void **state)
{
	char proxy[64], dead[64];
	struct http_request req = request("http://proxied.sretools.invalid/proxied-path");
	struct http_result *r;
	jv rec;

	(void)state;
	/* the fixture server serves a proxy request for the URL's path */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", plain.port);
	req.proxy = proxy;
	r = fetch(&req);
	assert_ok_status(r, 200);
	http_result_free(r);
	rec = only_request(&plain, "/proxied-path");
	rec = jv_object_get(rec, jv_string("headers"));
	assert_jv_string(rec, "host", "proxied.sretools.invalid");

	/* the environment's proxy applies to requests, not to connect_only probes */
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", closed_port());
	setenv("http_proxy", dead, 1);
	req = request(url(&plain, "/via-dead-proxy"));
	r = fetch(&req);
	assert_failed(r, "connect");
	http_result_free(r);
	req.connect_only = 1;
	r = fetch(&req);
	unsetenv("http_proxy");
	assert_ok_status(r, 0);
	http_result_free(r);
	assert_int_equal(count_logged(&plain, "/via-dead-proxy"), 0);
}

static void test_resolve_pin(void **state)
{
	char pin[128], u[128];
	const char *pins[1];
	struct http_request req;
	struct http_result *r;

	(void)state;
	snprintf(pin, sizeof(pin), "pinned.sretools.invalid:%d:127.0.0.1", plain.port);
	snprintf(u, sizeof(u), "http://pinned.sretools.invalid:%d/pinned", plain.port);
	pins[0] = pin;
	req = request(u);
	req.resolve = pins;
	req.nresolve = 1;
	req.ip_version = 4;
	r = fetch(&req);
	assert_ok_status(r, 200);
	assert_string_equal(r->ip, "127.0.0.1");
	http_result_free(r);
}

/* ---- checks ------------------------------------------------------------------------------------ */

static void assert_invalid(const struct http_request *req, const char *needle)
{
	struct srerr e;
	struct http_multi *m;

	srerr_clear(&e);
	assert_int_equal(http_request_check(req, &e), -1);
	assert_string_equal(e.code, "invalid_request");
	if (needle && !strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
	assert_null(strstr(e.msg, "sekrit"));
	m = http_multi_new(2, NULL);
	assert_non_null(m);
	assert_int_equal(http_multi_add(m, req, NULL), -1);
	assert_int_equal(http_multi_pending(m), 0);
	http_multi_free(m);
	assert_null(http_fetch(req, NULL));
}

static void test_request_check(void **state)
{
	const char *crlf[] = { "X-Ok: 1", "Authorization: Bearer sekrit\r\nX-Injected: 1" };
	const char *lf[] = { "X-A: sekrit\nX-B: 2" };
	const char *ctl[] = { "X-A: sekrit\x01" };
	const char *noname[] = { ": sekrit" };
	const char *nocolon[] = { "X-A sekrit" };
	const char *spacename[] = { "X A: sekrit" };
	const char *null_hdr[] = { NULL };
	const char *badpin[] = { "host:80:1.2.3.4\r\n" };
	const char *tab[] = { "X-A:\tsekrit\twith tabs" };
	struct http_request req = request("http://127.0.0.1:1/");

	(void)state;
	assert_int_equal(http_request_check(&req, NULL), 0);
	req.headers = tab;
	req.nheaders = 1;
	assert_int_equal(http_request_check(&req, NULL), 0);

	req.headers = crlf;
	req.nheaders = 2;
	assert_invalid(&req, "'Authorization'");
	req.headers = lf;
	req.nheaders = 1;
	assert_invalid(&req, "CR, LF");
	req.headers = ctl;
	assert_invalid(&req, "control");
	req.headers = noname;
	assert_invalid(&req, "header 1");
	req.headers = nocolon;
	assert_invalid(&req, "'Name: value'");
	req.headers = spacename;
	assert_invalid(&req, NULL);
	req.headers = null_hdr;
	assert_invalid(&req, "missing");
	req.headers = NULL;
	assert_invalid(&req, "missing");
	req.nheaders = 0;

	req.method = "GE T";
	assert_invalid(&req, "invalid method");
	req.method = "GET\r\n";
	assert_invalid(&req, "invalid method");
	req.method = "";
	assert_invalid(&req, "invalid method");
	req.method = NULL;

	req.resolve = badpin;
	req.nresolve = 1;
	assert_invalid(&req, "resolve");
	req.resolve = NULL;
	assert_invalid(&req, "resolve");
	req.nresolve = 0;

	req.ip_version = 5;
	assert_invalid(&req, "IP version");
	req.ip_version = 0;
	req.timeout_ms = -1;
	assert_invalid(&req, "timeout");
	req.timeout_ms = 0;
	req.connect_timeout_ms = -5;
	assert_invalid(&req, "timeout");
	req.connect_timeout_ms = 0;
	req.body_len = 3;
	assert_invalid(&req, "body");
	req.body_len = 0;

	req.url = "ftp://127.0.0.1/x";
	assert_invalid(&req, "expected http:// or https://");
	/* a URL that does not parse says why; messages name display_url */
	req.url = "http://[::1";
	assert_invalid(&req, "invalid URL 'http://[::1': bad IPv6 address");
	req.url = "http://127.0.0.1:99999/?t=REALSECRET42";
	req.display_url = "http://127.0.0.1:99999/?t={{TOK}}";
	assert_invalid(&req, "invalid URL 'http://127.0.0.1:99999/?t={{TOK}}': port number");
	req.display_url = NULL;
	req.url = "file:///etc/passwd";
	assert_invalid(&req, NULL);
	req.url = "127.0.0.1:80/x";
	assert_invalid(&req, NULL);
	req.url = "http://127.0.0.1/a\r\nb";
	assert_invalid(&req, NULL);
	req.url = "http://127.0.0.1/a b";
	assert_invalid(&req, NULL);
	req.url = NULL;
	assert_invalid(&req, "without a URL");
	assert_int_equal(http_request_check(NULL, NULL), -1);
	req.url = "HTTPS://localhost:1/";
	assert_int_equal(http_request_check(&req, NULL), 0);
}

static void test_header_is_secret(void **state)
{
	(void)state;
	assert_true(http_header_is_secret("Authorization"));
	assert_true(http_header_is_secret("authorization: Bearer x"));
	assert_true(http_header_is_secret("  Cookie : a=b"));
	assert_true(http_header_is_secret("Set-Cookie"));
	assert_true(http_header_is_secret("PROXY-AUTHORIZATION:Basic x"));
	assert_false(http_header_is_secret("X-Authorization: x"));
	assert_false(http_header_is_secret("Authorization2"));
	assert_false(http_header_is_secret("Cookies: a"));
	assert_false(http_header_is_secret("Content-Type: text/plain"));
	assert_false(http_header_is_secret(""));
	assert_false(http_header_is_secret(NULL));
}

/* ---- the multi ---------------------------------------------------------------------------------- */

static void test_multi_fifty_by_four(void **state)
{
	struct srerr e;
	struct http_multi *m = http_multi_new(4, &e);
	int ids[50], seen[50] = { 0 };
	char paths[50][64];
	struct http_result *r;
	size_t i, done = 0;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 50; i++) {
		struct http_request req;

		snprintf(paths[i], sizeof(paths[i]), "%s", url(&plain, "/m%zu?body=%zu", i, i));
		req = request(paths[i]);
		ids[i] = (int)i;
		req.user = &ids[i];
		assert_int_equal(http_multi_add(m, &req, &e), 0);
	}
	memset(paths, 0, sizeof(paths));   /* the module copied what it needs */
	assert_int_equal(http_multi_pending(m), 50);
	while (http_multi_pending(m) > 0) {
		assert_int_equal(http_multi_wait(m, NULL, 0, 1000, &e), 0);
		while ((r = http_multi_next_done(m))) {
			int id = *(int *)r->user;
			char want[16];

			assert_ok_status(r, 200);
			snprintf(want, sizeof(want), "%d", id);
			assert_string_equal(r->body, want);
			assert_int_equal(seen[id], 0);
			seen[id] = 1;
			done++;
			http_result_free(r);
		}
	}
	assert_int_equal(done, 50);
	assert_null(http_multi_next_done(m));
	http_multi_free(m);
}

/* Above 64 in parallel the receive buffers shrink (to 1 KiB here): bodies still arrive whole. */
static void test_multi_small_buffers_body_intact(void **state)
{
	struct srerr e;
	struct http_multi *m = http_multi_new(2000, &e);
	struct http_request req = request(url(&plain, "/small-buffers?body=0123456789&size=300000"));
	struct http_result *r = NULL;

	(void)state;
	assert_non_null(m);
	assert_int_equal(http_multi_add(m, &req, &e), 0);
	while (!r) {
		assert_int_equal(http_multi_wait(m, NULL, 0, 1000, &e), 0);
		r = http_multi_next_done(m);
	}
	assert_ok_status(r, 200);
	assert_int_equal(r->body_len, 300000);
	for (size_t i = 0; i < r->body_len; i++)
		if (r->body[i] != (char)('0' + i % 10))
			fail_msg("body differs at byte %zu", i);
	http_result_free(r);
	http_multi_free(m);
}

static void test_multi_parallel_limit(void **state)
{
	/* A slot frees only when a transfer completes, so however far the server has got,
	 * it can have seen at most (results returned so far) + max_parallel requests. */
	struct http_multi *m = http_multi_new(2, NULL);
	struct http_result *r;
	int n = 0, checks = 0;
	size_t i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 6; i++) {
		struct http_request req = request(url(&plain, "/par%zu?delay=0.3", i));

		assert_int_equal(http_multi_add(m, &req, NULL), 0);
	}
	while (http_multi_pending(m) > 0) {
		assert_int_equal(http_multi_wait(m, NULL, 0, 1000, NULL), 0);
		while ((r = http_multi_next_done(m))) {
			assert_ok_status(r, 200);
			n++;
			http_result_free(r);
		}
		assert_true(count_logged_prefix(&plain, "/par") <= n + 2);
		checks++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(count_logged_prefix(&plain, "/par"), 6);
	assert_true(checks >= 3);
	http_multi_free(m);
}

static void test_multi_extra_fd(void **state)
{
	struct http_multi *m = http_multi_new(0, NULL);
	struct curl_waitfd w;
	int fds[2];

	(void)state;
	assert_non_null(m);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	memset(&w, 0, sizeof(w));
	w.fd = fds[0];
	w.events = CURL_WAIT_POLLIN;
	assert_int_equal(http_multi_wait(m, &w, 1, 30000, NULL), 0);
	assert_true(w.revents & CURL_WAIT_POLLIN);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(http_multi_pending(m), 0);
	assert_null(http_multi_next_done(m));
	http_multi_free(m);
	http_multi_free(NULL);
	assert_int_equal(http_multi_pending(NULL), 0);
}

static void test_multi_free_while_busy(void **state)
{
	struct http_multi *m = http_multi_new(2, NULL);
	size_t i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 6; i++) {
		struct http_request req = request(url(&plain, "/abandoned?delay=5"));

		assert_int_equal(http_multi_add(m, &req, NULL), 0);
	}
	assert_int_equal(http_multi_wait(m, NULL, 0, 100, NULL), 0);
	assert_int_equal(http_multi_pending(m), 6);
	http_multi_free(m);   /* running and queued transfers are all released */
}

/* ---- connect_only ---------------------------------------------------------------------------------- */

static void test_connect_only_tcp(void **state)
{
	struct http_request req = request(url(&plain, "/never-requested"));
	struct http_result *r;
	int port;
	char u[64];

	(void)state;
	req.connect_only = 1;
	r = fetch(&req);
	assert_ok_status(r, 0);
	assert_string_equal(r->ip, "127.0.0.1");
	assert_int_equal(r->tls.present, 0);
	assert_true(r->timing.ttfb == 0 && r->timing.transfer == 0 && r->timing.tls == 0);
	assert_timing_sane(&r->timing);
	http_result_free(r);
	assert_int_equal(count_logged(&plain, "/never-requested"), 0);

	port = closed_port();
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", port);
	req = request(u);
	req.connect_only = 1;
	r = fetch(&req);
	assert_failed(r, "connect");
	http_result_free(r);
}

static void test_connect_only_tls(void **state)
{
	struct http_request req = request(url(&valid, "/never-requested-tls"));
	struct http_result *r;

	(void)state;
	req.connect_only = 1;
	req.cacert = cacert;
	r = fetch(&req);
	assert_ok_status(r, 0);
	assert_int_equal(r->tls.present, 1);
	assert_int_equal(r->tls.verified, 1);
	assert_string_equal(r->tls.subject, "CN=localhost");
	assert_true(r->timing.tls > 0);
	assert_true(r->timing.ttfb == 0 && r->timing.transfer == 0);
	assert_timing_sane(&r->timing);
	http_result_free(r);
	assert_int_equal(count_logged(&valid, "/never-requested-tls"), 0);

	req = request(url(&expired, "/never-requested-tls"));
	req.connect_only = 1;
	req.cacert = cacert;
	r = fetch(&req);
	assert_failed(r, "tls");
	assert_int_equal(r->tls.present, 1);
	assert_int_equal(r->tls.verified, 0);
	assert_string_equal(r->tls.verify_error, "certificate has expired");
	http_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_200_body_and_headers),
		cmocka_unit_test(test_status_503_is_a_response),
		cmocka_unit_test(test_empty_body_is_empty_string),
		cmocka_unit_test(test_head_request),
		cmocka_unit_test(test_timing_deltas),
		cmocka_unit_test(test_timing_https),
		cmocka_unit_test(test_body_cap_endless),
		cmocka_unit_test(test_body_cap_content_length),
		cmocka_unit_test(test_body_cap_default),
		cmocka_unit_test(test_timeout_waiting),
		cmocka_unit_test(test_display_url_in_messages),
		cmocka_unit_test(test_timeout_in_body),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_unresolvable_name),
		cmocka_unit_test(test_empty_reply_and_truncated),
		cmocka_unit_test(test_redirect_followed),
		cmocka_unit_test(test_redirect_chain_of_five),
		cmocka_unit_test(test_too_many_redirects),
		cmocka_unit_test(test_redirect_to_file_refused),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_redirect_drops_secrets_across_hosts),
		cmocka_unit_test(test_https_verified_facts),
		cmocka_unit_test(test_https_chain_earliest),
		cmocka_unit_test(test_https_expired_not_sent),
		cmocka_unit_test(test_https_expired_insecure),
		cmocka_unit_test(test_https_wrong_host),
		cmocka_unit_test(test_https_insecure_valid_by_ip),
		cmocka_unit_test(test_https_unknown_ca),
		cmocka_unit_test(test_timeout_in_handshake),
		cmocka_unit_test(test_tls_to_plain_server),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_post_body_and_headers),
		cmocka_unit_test(test_large_post_without_expect),
		cmocka_unit_test(test_put_binary_body_and_methods),
		cmocka_unit_test(test_many_response_headers_capped),
		cmocka_unit_test(test_header_bytes_capped),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_resolve_pin),
		cmocka_unit_test(test_request_check),
		cmocka_unit_test(test_header_is_secret),
		cmocka_unit_test(test_multi_fifty_by_four),
		cmocka_unit_test(test_multi_parallel_limit),
		cmocka_unit_test(test_multi_small_buffers_body_intact),
		cmocka_unit_test(test_multi_extra_fd),
		cmocka_unit_test(test_multi_free_while_busy),
		cmocka_unit_test(test_connect_only_tcp),
		cmocka_unit_test(test_connect_only_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
