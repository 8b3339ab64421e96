#ifndef PROBE_SECRET_H
#define PROBE_SECRET_H
/*
 * Secrets of a probe run, and their redaction: every value registered here prints as
 * "***" in every record, error and verbose line.  Values come from
 *  - the values of Authorization, Proxy-Authorization and Cookie headers
 *    (http_header_is_secret), and their credentials after the scheme ("Bearer X": X),
 *  - the password in a URL's user information (https://user:PASSWORD@host),
 *  - -H @env:NAME: the value of the header line read from environment variable NAME,
 *  - --secret NAME=VALUE, or --secret NAME (VALUE from the environment variable NAME,
 *    which keeps it out of the process list).  Such a secret is used by writing
 *    {{NAME}} in a URL, a header, a request body or an --exec command; records show
 *    the text as written, with {{NAME}} in it, never the value.
 * Redaction replaces every occurrence of every value, the longest first, in any
 * string (so a value inside an error message or a captured output is caught too).
 * As a safety net for messages cut at a fixed size before they were redacted, a
 * string that ends in the first 4 or more bytes of a secret has that end masked too.
 */
#include <stddef.h>
#include <jv.h>

#include "srerr.h"

#define SECRET_MASK "***"

struct secret_set;

struct secret_set *secret_set_new(void);
void secret_set_free(struct secret_set *s);

/* Register len bytes at value as a secret; an empty value is ignored. */
void secret_add(struct secret_set *s, const char *value, size_t len);

/*
 * Define a named secret from a --secret argument, "NAME=VALUE" or "NAME" (the value
 * of environment variable NAME).  NAME is a C identifier.  -1 and e (code "usage")
 * for a bad name, an empty value, an unset variable or a name defined twice.
 */
int secret_define(struct secret_set *s, const char *arg, struct srerr *e);

/* Register the value of a "Name: value" line if the header always carries a secret. */
void secret_note_header(struct secret_set *s, const char *line);

/* Register the password of a URL's user information ("scheme://user:pw@host"), if any. */
void secret_note_url(struct secret_set *s, const char *url);

/*
 * text with every {{NAME}} of a defined secret replaced by its value: a new string
 * (malloc, the caller frees), or NULL and e (code "usage") when text refers to an
 * undefined secret.  "{{" not followed by an identifier and "}}" stays as it is.
 */
char *secret_expand(const struct secret_set *s, const char *text, struct srerr *e);

/* A copy of text (malloc, the caller frees) with every secret replaced by "***"; s may be NULL. */
char *secret_redact(const struct secret_set *s, const char *text);

/*
 * v with every string inside it (object values and array elements, at any depth)
 * redacted.  Consumes v; the caller owns the result.
 */
jv secret_redact_jv(const struct secret_set *s, jv v);

#endif
