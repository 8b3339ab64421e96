#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "srerr.h"
#include "banned.h"

void srerr_clear(struct srerr *e)
{
	if (!e)
		return;
	e->code[0] = '\0';
	e->msg[0] = '\0';
}

/* Control characters in a message would let input forge extra diagnostic lines. */
static void strip_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void srerr_set(struct srerr *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	snprintf(e->code, sizeof(e->code), "%s", code ? code : "error");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	strip_controls(e->msg);
}

void srerr_prefix(struct srerr *e, const char *fmt, ...)
{
	char head[SRERR_MSG_MAX], old[SRERR_MSG_MAX];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old);
	strip_controls(e->msg);
}

void srerr_shorten(const char *text, char *buf, size_t size)
{
	size_t len = strlen(text);

	if (len + 1 <= size) {
		memcpy(buf, text, len + 1);
		return;
	}
	len = size - 4;
	while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
		len--;
	memcpy(buf, text, len);
	memcpy(buf + len, "...", 4);
}
