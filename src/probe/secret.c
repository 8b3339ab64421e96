#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "http.h"
#include "secret.h"
#include "banned.h"

#define SECRET_MIN_CUT 4   /* a shorter tail is too likely to be ordinary text */

struct secret_value {
	char *value;
	size_t len;
};

struct secret_name {
	char *name;
	char *value;
};

struct secret_set {
	struct secret_value *values;   /* longest first */
	size_t nvalues;
	struct secret_name *names;
	size_t nnames;
};

__attribute__((noreturn)) static void out_of_memory(void)
{
	cli_die(CLI_TROUBLE, "out of memory");
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory();
	return q;
}

static char *xmemdup(const char *s, size_t len)
{
	char *copy = xrealloc(NULL, len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

struct secret_set *secret_set_new(void)
{
	struct secret_set *s = calloc(1, sizeof(*s));

	if (!s)
		out_of_memory();
	return s;
}

void secret_set_free(struct secret_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nvalues; i++)
		free(s->values[i].value);
	for (size_t i = 0; i < s->nnames; i++) {
		free(s->names[i].name);
		free(s->names[i].value);
	}
	free(s->values);
	free(s->names);
	free(s);
}

void secret_add(struct secret_set *s, const char *value, size_t len)
{
	size_t at = 0;

	if (len == 0)
		return;
	for (size_t i = 0; i < s->nvalues; i++)
		if (s->values[i].len == len && memcmp(s->values[i].value, value, len) == 0)
			return;
	/* keep the longest first, so that a secret containing another is masked whole */
	while (at < s->nvalues && s->values[at].len >= len)
		at++;
	s->values = xrealloc(s->values, (s->nvalues + 1) * sizeof(*s->values));
	memmove(s->values + at + 1, s->values + at, (s->nvalues - at) * sizeof(*s->values));
	s->values[at].value = xmemdup(value, len);
	s->values[at].len = len;
	s->nvalues++;
}

static int is_ident(const char *name, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
			return 0;
	return 1;
}

static const char *find_name(const struct secret_set *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (strlen(s->names[i].name) == len && memcmp(s->names[i].name, name, len) == 0)
			return s->names[i].value;
	return NULL;
}

int secret_define(struct secret_set *s, const char *arg, struct srerr *e)
{
	const char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *value = eq ? eq + 1 : NULL;
	char name[128];

	if (!is_ident(arg, nlen) || nlen >= sizeof(name)) {
		srerr_set(e, "usage", "invalid --secret '%.*s': expected NAME=VALUE or NAME, "
			  "NAME made of letters, digits and _", (int)nlen, arg);
		return -1;
	}
	memcpy(name, arg, nlen);
	name[nlen] = '\0';
	if (!value && !(value = getenv(name))) {
		srerr_set(e, "usage", "invalid --secret '%s': environment variable %s is not set",
			  name, name);
		return -1;
	}
	if (!*value) {
		srerr_set(e, "usage", "invalid --secret '%s': the value is empty", name);
		return -1;
	}
	if (find_name(s, name, nlen)) {
		srerr_set(e, "usage", "invalid --secret '%s': defined twice", name);
		return -1;
	}
	s->names = xrealloc(s->names, (s->nnames + 1) * sizeof(*s->names));
	s->names[s->nnames].name = xmemdup(name, nlen);
	s->names[s->nnames].value = xmemdup(value, strlen(value));
	s->nnames++;
	secret_add(s, value, strlen(value));
	return 0;
}

void secret_note_header(struct secret_set *s, const char *line)
{
	const char *colon = strchr(line, ':'), *value, *space;

	if (!colon || !http_header_is_secret(line))
		return;
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	secret_add(s, value, strlen(value));
	/* "Bearer TOKEN", "Basic B64": the credentials alone may show up elsewhere */
	space = strchr(value, ' ');
	if (space) {
		while (*space == ' ')
			space++;
		secret_add(s, space, strlen(space));
	}
}

void secret_note_url(struct secret_set *s, const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon;

	if (!auth)
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon && at > colon + 1)
		secret_add(s, colon + 1, (size_t)(at - colon - 1));
}

struct strbuf {
	char *buf;
	size_t len, cap;
};

static void sb_add(struct strbuf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->buf = xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, s, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

/* At "{{" in text: the length of a "{{NAME}}" reference there, 0 if it is none. */
static size_t reference_len(const char *p, size_t *name_len)
{
	size_t n = 0;

	while (isalnum((unsigned char)p[2 + n]) || p[2 + n] == '_')
		n++;
	if (!is_ident(p + 2, n) || p[2 + n] != '}' || p[3 + n] != '}')
		return 0;
	*name_len = n;
	return n + 4;
}

char *secret_expand(const struct secret_set *s, const char *text, struct srerr *e)
{
	struct strbuf b = { 0 };
	const char *p = text, *ref;

	sb_add(&b, "", 0);
	while ((ref = strstr(p, "{{"))) {
		size_t name_len = 0, len = reference_len(ref, &name_len);
		const char *value = len ? find_name(s, ref + 2, name_len) : NULL;

		if (len && !value) {
			srerr_set(e, "usage", "unknown secret '{{%.*s}}': define it with "
				  "--secret %.*s=VALUE", (int)name_len, ref + 2, (int)name_len, ref + 2);
			free(b.buf);
			return NULL;
		}
		sb_add(&b, p, (size_t)(ref - p));
		if (value)
			sb_add(&b, value, strlen(value));
		else
			sb_add(&b, ref, 2);
		p = ref + (len ? len : 2);
	}
	sb_add(&b, p, strlen(p));
	return b.buf;
}

/* The earliest occurrence of any secret in text[0..len), the longest at that place. */
static const char *first_secret(const struct secret_set *s, const char *text, size_t len,
				size_t *found_len)
{
	const char *best = NULL;

	for (size_t i = 0; i < s->nvalues; i++) {
		const char *hit = memmem(text, len, s->values[i].value, s->values[i].len);

		if (hit && (!best || hit < best)) {
			best = hit;
			*found_len = s->values[i].len;
		}
	}
	return best;
}

/*
 * The length of the longest start (at least SECRET_MIN_CUT bytes, shorter than the whole
 * value) of any secret that text[0..len) ends with, 0 if none.  A message cut at a fixed
 * size before it was redacted can end in half a secret; this masks that half too.
 */
static size_t trailing_cut_secret(const struct secret_set *s, const char *text, size_t len)
{
	size_t best = 0;

	for (size_t i = 0; i < s->nvalues; i++) {
		size_t k = s->values[i].len - 1;

		if (k > len)
			k = len;
		for (; k >= SECRET_MIN_CUT && k > best; k--)
			if (memcmp(text + len - k, s->values[i].value, k) == 0) {
				best = k;
				break;
			}
	}
	return best;
}

static char *redact_mem(const struct secret_set *s, const char *text, size_t len,
			size_t *outlen)
{
	struct strbuf b = { 0 };
	const char *p = text, *end = text + len, *hit;
	size_t hit_len = 0, cut;

	sb_add(&b, "", 0);
	while (p < end && (hit = first_secret(s, p, (size_t)(end - p), &hit_len))) {
		sb_add(&b, p, (size_t)(hit - p));
		sb_add(&b, SECRET_MASK, strlen(SECRET_MASK));
		p = hit + hit_len;
	}
	cut = trailing_cut_secret(s, p, (size_t)(end - p));
	sb_add(&b, p, (size_t)(end - p) - cut);
	if (cut)
		sb_add(&b, SECRET_MASK, strlen(SECRET_MASK));
	*outlen = b.len;
	return b.buf;
}

char *secret_redact(const struct secret_set *s, const char *text)
{
	size_t len;

	if (!s)
		return xmemdup(text, strlen(text));
	return redact_mem(s, text, strlen(text), &len);
}

static jv redact_string(const struct secret_set *s, jv v)
{
	const char *text = jv_string_value(v);
	size_t len = (size_t)jv_string_length_bytes(jv_copy(v)), outlen;
	size_t dummy;
	char *r;

	if (!first_secret(s, text, len, &dummy) && !trailing_cut_secret(s, text, len))
		return v;
	r = redact_mem(s, text, len, &outlen);
	jv_free(v);
	v = jv_string_sized(r, (int)outlen);
	free(r);
	return v;
}

jv secret_redact_jv(const struct secret_set *s, jv v)
{
	if (!s || s->nvalues == 0)
		return v;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return redact_string(s, v);
	case JV_KIND_ARRAY:
		for (int i = 0; i < jv_array_length(jv_copy(v)); i++)
			v = jv_array_set(v, i, secret_redact_jv(s, jv_array_get(jv_copy(v), i)));
		return v;
	case JV_KIND_OBJECT: {
		jv keys = jv_keys_unsorted(jv_copy(v));

		for (int i = 0; i < jv_array_length(jv_copy(keys)); i++) {
			jv k = jv_array_get(jv_copy(keys), i);
			v = jv_object_set(v, jv_copy(k), secret_redact_jv(s, jv_object_get(jv_copy(v), k)));
		}
		jv_free(keys);
		return v;
	}
	default:
		return v;
	}
}
