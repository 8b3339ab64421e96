#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "jqx.h"
#include "retry.h"
#include "rx.h"
#include "target.h"
#include "banned.h"

const char *probe_type_name(enum probe_type t)
{
	static const char *const names[] = { "http", "tcp", "tls", "dns", "exec" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

void target_template_init(struct probe_target *t)
{
	memset(t, 0, sizeof(*t));
	t->req.timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
	t->req.max_body = HTTP_DEFAULT_MAX_BODY;
	t->retry_delay_ms = RETRY_DEFAULT_DELAY_MS;
	check_init(&t->checks);
}

/* secret_expand into the pool */
static const char *expand(struct target_ctx *ctx, const char *text, struct srerr *e)
{
	char *s = secret_expand(ctx->secrets, text, e);

	return s ? pool_adopt(ctx->pool, s) : NULL;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int valid_port(const char *s)
{
	long port = 0;

	if (!*s || strlen(s) > 5)
		return 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

/* The port in "host:port" or "[v6]:port" (NULL when there is none), -1 if malformed. */
static int split_port(const char *hostport, const char **port)
{
	const char *colon;

	*port = NULL;
	if (hostport[0] == '[') {
		const char *close = strchr(hostport, ']');
		if (!close || close == hostport + 1 || (close[1] && close[1] != ':'))
			return -1;
		colon = close[1] ? close + 1 : NULL;
	} else {
		colon = strrchr(hostport, ':');
		if (colon && memchr(hostport, ':', (size_t)(colon - hostport)))
			return -1;
		if (colon == hostport)
			return -1;
	}
	if (colon && !valid_port(colon + 1))
		return -1;
	*port = colon ? colon + 1 : NULL;
	return hostport[0] ? 0 : -1;
}

/* tcp://HOST:PORT and tls://HOST[:PORT] become the URLs of a connect-only request. */
static int set_connect(struct target_ctx *ctx, struct probe_target *t, const char *rest,
		       const char *text, struct srerr *e)
{
	int tls = t->type == PROBE_TLS;
	size_t len = strlen(rest);
	char hostport[512], url[600];
	const char *port;

	if (len && rest[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(hostport) || memchr(rest, '/', len) ||
	    strpbrk(rest, "?#@ ")) {
		srerr_set(e, "usage", "invalid target '%s': expected %s://HOST:PORT", text,
			  probe_type_name(t->type));
		return -1;
	}
	memcpy(hostport, rest, len);
	hostport[len] = '\0';
	if (split_port(hostport, &port) == -1 || (!port && !tls)) {
		srerr_set(e, "usage", "invalid target '%s': expected %s://HOST:PORT%s", text,
			  probe_type_name(t->type), tls ? "" : " with a port");
		return -1;
	}
	snprintf(url, sizeof(url), "%s://%s%s/", tls ? "https" : "http", hostport,
		 port ? "" : ":443");
	t->req.url = pool_strdup(ctx->pool, url);
	t->req.connect_only = 1;
	return 0;
}

static int set_dns(struct target_ctx *ctx, struct probe_target *t, const char *rest,
		   const char *text, struct srerr *e)
{
	size_t len = strlen(rest);

	if (len && rest[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)rest[i]) && !strchr(".-_:", rest[i]))
			len = 0;
	if (len == 0 || len > 253) {
		srerr_set(e, "usage", "invalid target '%s': expected dns://NAME", text);
		return -1;
	}
	t->dns_name = pool_memdup(ctx->pool, rest, len);
	return 0;
}

int target_set_location(struct target_ctx *ctx, struct probe_target *t, const char *text,
			struct srerr *e)
{
	const char *expanded = expand(ctx, text, e);

	if (!expanded)
		return -1;
	t->target = pool_strdup(ctx->pool, text);
	if (!t->name_set)
		t->name = t->target;
	t->req.connect_only = 0;
	t->req.display_url = NULL;
	secret_note_url(ctx->secrets, expanded);
	if (starts_with(expanded, "http://") || starts_with(expanded, "https://")) {
		t->type = PROBE_HTTP;
		t->req.url = expanded;
		/* messages name the URL as written, {{NAME}} and all: a message cut to
		   size can then never end in part of a secret's value */
		t->req.display_url = t->target;
		return 0;
	}
	if (starts_with(expanded, "tcp://") || starts_with(expanded, "tls://")) {
		t->type = starts_with(expanded, "tcp://") ? PROBE_TCP : PROBE_TLS;
		return set_connect(ctx, t, expanded + 6, text, e);
	}
	if (starts_with(expanded, "dns://")) {
		t->type = PROBE_DNS;
		return set_dns(ctx, t, expanded + 6, text, e);
	}
	srerr_set(e, "usage", "invalid target '%s': expected an http://, https://, tcp://, "
		  "tls:// or dns:// URL (or --exec CMD)", text);
	return -1;
}

int target_set_exec(struct target_ctx *ctx, struct probe_target *t, const char *command,
		    struct srerr *e)
{
	if (!*command) {
		srerr_set(e, "usage", "invalid --exec '': the command is empty");
		return -1;
	}
	if (!(t->command = expand(ctx, command, e)))
		return -1;
	t->type = PROBE_EXEC;
	t->target = pool_strdup(ctx->pool, command);
	if (!t->name_set)
		t->name = t->target;
	return 0;
}

/* Length of the header name of a "Name: value" line, 0 if it is not one. */
static size_t header_name_len(const char *line)
{
	size_t n = strcspn(line, ":");

	if (line[n] != ':' || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)line[i]))
			return 0;
	return n;
}

/* An @env:VAR line from the environment; its value is a secret. */
static const char *header_from_env(struct target_ctx *ctx, const char *item, struct srerr *e)
{
	const char *var = item + 5, *line = getenv(var), *value;
	size_t n;

	if (!line) {
		srerr_set(e, "usage", "invalid header '%s': environment variable %s is not set",
			  item, var);
		return NULL;
	}
	if (!(n = header_name_len(line))) {
		srerr_set(e, "usage", "invalid header '%s': the variable does not hold a "
			  "'Name: value' line", item);
		return NULL;
	}
	value = line + n + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	secret_add(ctx->secrets, value, strlen(value));
	return line;
}

static const char *prepare_header(struct target_ctx *ctx, const char *item, struct srerr *e)
{
	const char *line = strncmp(item, "@env:", 5) == 0 ? header_from_env(ctx, item, e) : item;

	if (!line)
		return NULL;
	if (!header_name_len(line)) {
		srerr_set(e, "usage", "invalid header '%s': expected 'Name: value'", item);
		return NULL;
	}
	if (!(line = expand(ctx, line, e)))
		return NULL;
	secret_note_header(ctx->secrets, line);
	return line;
}

static int same_name(const char *a, const char *b)
{
	size_t n = header_name_len(a);

	return n && n == header_name_len(b) && strncasecmp(a, b, n) == 0;
}

static int replaced(const char *old, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_name(old, lines[i]))
			return 1;
	return 0;
}

int target_add_headers(struct target_ctx *ctx, struct probe_target *t,
		       const char *const *lines, size_t n, struct srerr *e)
{
	const char **fresh = pool_alloc(ctx->pool, (n + 1) * sizeof(*fresh));
	const char **all = pool_alloc(ctx->pool, (t->req.nheaders + n + 1) * sizeof(*all));
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (!(fresh[i] = prepare_header(ctx, lines[i], e)))
			return -1;
	for (size_t i = 0; i < t->req.nheaders; i++)
		if (!replaced(t->req.headers[i], fresh, n))
			all[count++] = t->req.headers[i];
	for (size_t i = 0; i < n; i++)
		all[count++] = fresh[i];
	t->req.headers = all;
	t->req.nheaders = count;
	return 0;
}

int target_set_body(struct target_ctx *ctx, struct probe_target *t, const char *body,
		    size_t len, struct srerr *e)
{
	if (!memchr(body, '\0', len)) {
		char *text = pool_memdup(ctx->pool, body, len);

		if (!(body = expand(ctx, text, e)))
			return -1;
		len = strlen(body);
	}
	t->req.body = len ? pool_memdup(ctx->pool, body, len) : "";
	t->req.body_len = len;
	return 0;
}

int target_expect_body(struct target_ctx *ctx, struct probe_target *t, const char *regex,
		       struct srerr *e)
{
	struct rx *r = rx_compile(regex, 0, e);

	if (!r)
		return -1;
	t->checks.body = pool_adopt_rx(ctx->pool, r);
	return 0;
}

int target_expect_json(struct target_ctx *ctx, struct probe_target *t, const char *expr,
		       struct srerr *e)
{
	struct jqx *q = jqx_compile(expr, e);

	if (!q)
		return -1;
	t->checks.json = pool_adopt_jqx(ctx->pool, q);
	return 0;
}

int target_expect_headers(struct target_ctx *ctx, struct probe_target *t,
			  const char *const *items, size_t n, struct srerr *e)
{
	struct check_header *h = pool_alloc(ctx->pool, (n + 1) * sizeof(*h));

	for (size_t i = 0; i < n; i++) {
		const char *pattern;
		size_t name_len;
		struct rx *r;

		if (check_header_split(items[i], &name_len, &pattern, e) == -1)
			return -1;
		if (!(r = rx_compile(pattern, 0, e)))
			return -1;
		h[i].name = pool_memdup(ctx->pool, items[i], name_len);
		h[i].text = pool_strdup(ctx->pool, items[i]);
		h[i].rx = pool_adopt_rx(ctx->pool, r);
	}
	t->checks.headers = h;
	t->checks.nheaders = n;
	return 0;
}

int target_finish(struct target_ctx *ctx, struct probe_target *t, struct srerr *e)
{
	struct srerr why;

	(void)ctx;
	if (t->type == PROBE_EXEC || t->type == PROBE_DNS)
		return 0;
	if (http_request_check(&t->req, &why) == -1) {
		srerr_set(e, "usage", "invalid target '%s': %s", t->target, why.msg);
		return -1;
	}
	return 0;
}

void target_list_push(struct target_list *l, const struct probe_target *t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct probe_target *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			cli_die(CLI_TROUBLE, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
}

void target_list_release(struct target_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
