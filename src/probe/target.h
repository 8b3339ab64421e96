#ifndef PROBE_TARGET_H
#define PROBE_TARGET_H
/*
 * What probe checks: one struct probe_target per URL argument, --exec command or -f
 * spec line, each with every setting it needs (request, retries, checks).
 *
 * The command line's options fill a template target; each target starts as a copy
 * of it and overrides what its spec says, so CLI flags are defaults for every spec.
 * Strings, arrays and compiled checks live in a pool (pool.h) that outlives every
 * target, so copies share them freely.
 *
 * Target strings:
 *   http://... https://...   an HTTP request
 *   tcp://HOST:PORT          a TCP connection
 *   tls://HOST[:PORT]        a TLS handshake and the certificate (port 443)
 *   dns://NAME               resolution through the system resolver
 * {{NAME}} in a URL, header line, body or command is replaced by the --secret NAME.
 */
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "http.h"
#include "pool.h"
#include "secret.h"
#include "srerr.h"

enum probe_type { PROBE_HTTP, PROBE_TCP, PROBE_TLS, PROBE_DNS, PROBE_EXEC };

/* "http", "tcp", "tls", "dns", "exec" */
const char *probe_type_name(enum probe_type t);

struct probe_target {
	enum probe_type type;
	const char *name;          /* the spec's "name", else the target as written */
	const char *target;        /* as written: the URL (with {{NAME}}s) or the command */
	const char *dns_name;      /* dns: the name to resolve */
	const char *command;       /* exec: the command, secrets expanded */
	struct http_request req;   /* http/tcp/tls: the request (url with secrets
				      expanded); timeout_ms, ip_version for every type */
	int retries;               /* attempts after the first */
	int64_t retry_delay_ms;
	struct probe_checks checks;
	int name_set;              /* name came from a spec */
};

/* Where targets get their memory and secrets. */
struct target_ctx {
	struct pool *pool;
	struct secret_set *secrets;
};

/* The defaults of every target (what no option was given for). */
void target_template_init(struct probe_target *t);

/*
 * Make t (a copy of the template) probe text, a target string as above: sets type,
 * target, name (unless already set by a spec), and the URL or name.  -1 and e (code
 * "usage") for an unknown scheme, a missing port, an unknown {{NAME}}.
 */
int target_set_location(struct target_ctx *ctx, struct probe_target *t, const char *text,
			struct srerr *e);

/* Make t run command (by /bin/sh -c). */
int target_set_exec(struct target_ctx *ctx, struct probe_target *t, const char *command,
		    struct srerr *e);

/*
 * Add header lines to t's request, replacing headers of the same names that t has
 * (from the template): "Name: value", or "@env:VAR" for a line read from the
 * environment variable VAR (its value is then a secret).  {{NAME}}s are expanded and
 * the values of Authorization, Proxy-Authorization and Cookie become secrets.
 */
int target_add_headers(struct target_ctx *ctx, struct probe_target *t,
		       const char *const *lines, size_t n, struct srerr *e);

/* Set t's request body (len bytes, {{NAME}}s expanded). */
int target_set_body(struct target_ctx *ctx, struct probe_target *t, const char *body,
		    size_t len, struct srerr *e);

/* Replace t's checks of this kind from their option text. */
int target_expect_body(struct target_ctx *ctx, struct probe_target *t, const char *regex,
		       struct srerr *e);
int target_expect_json(struct target_ctx *ctx, struct probe_target *t, const char *expr,
		       struct srerr *e);
int target_expect_headers(struct target_ctx *ctx, struct probe_target *t,
			  const char *const *items, size_t n, struct srerr *e);

/* Final consistency checks of a complete target (the request is valid, ...). */
int target_finish(struct target_ctx *ctx, struct probe_target *t, struct srerr *e);

/* A growing array of targets. */
struct target_list {
	struct probe_target *v;
	size_t n, cap;
};

void target_list_push(struct target_list *l, const struct probe_target *t);
void target_list_release(struct target_list *l);

/*
 * Read NDJSON target specs from path ("-": stdin), each a copy of tmpl with its
 * fields applied, into l.  -1 and e ("FILE:LINE: ..." , code "usage" or the
 * reader's) on the first bad line.  See spec.c for the fields.
 */
int target_load_specs(struct target_ctx *ctx, struct target_list *l,
		      const struct probe_target *tmpl, const char *path, struct srerr *e);

#endif
