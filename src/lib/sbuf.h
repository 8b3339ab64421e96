#ifndef SRETOOLS_SBUF_H
#define SRETOOLS_SBUF_H
/*
 * A growing string for building output lines and messages.  Appending never fails
 * visibly: when memory runs out, the buffer sets oom, drops every later append, and
 * the caller checks oom once at the end (an incomplete line is never printed as if
 * whole).  The content is always NUL-terminated once anything was added.
 *
 *	struct sbuf b = SBUF_INIT;
 *	sbuf_printf(&b, "%s: %d", name, n);
 *	if (!b.oom) fputs(sbuf_str(&b), fp);
 *	sbuf_release(&b);
 */
#include <stddef.h>

struct sbuf {
	char *p;         /* the content (NULL until something was added) */
	size_t len, cap;
	int oom;         /* an allocation failed: the content is incomplete */
};

#define SBUF_INIT { NULL, 0, 0, 0 }

/* Append n bytes of s. */
void sbuf_add(struct sbuf *b, const char *s, size_t n);
/* Append the string s. */
void sbuf_puts(struct sbuf *b, const char *s);
/* Append one byte. */
void sbuf_putc(struct sbuf *b, char c);
/* Append printf-style output, of any length. */
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The content, "" when empty (never NULL); owned by b. */
const char *sbuf_str(const struct sbuf *b);
/* Free the content and reset b to empty (oom cleared). */
void sbuf_release(struct sbuf *b);

#endif
