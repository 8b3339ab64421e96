#ifndef PROBE_POOL_H
#define PROBE_POOL_H
/*
 * Memory that lives as long as one probe run: target settings, their strings and
 * arrays, and the compiled regexes and jq programs that many targets share.  Targets
 * copy a template (the command line's settings) and override some fields, so a
 * value may be referenced by many targets; the pool owns every such value and frees
 * them all at once.  Allocation failure ends the program (exit 2): a run cannot go on
 * without its settings.
 */
#include <stddef.h>

struct rx;
struct jqx;
struct pool;

struct pool *pool_new(void);
/* Free p and everything it owns; NULL is fine. */
void pool_free(struct pool *p);

/* Zeroed memory of n bytes owned by p. */
void *pool_alloc(struct pool *p, size_t n);
/* A copy of s (NULL gives NULL), of len bytes at s plus a NUL. */
char *pool_strdup(struct pool *p, const char *s);
char *pool_memdup(struct pool *p, const void *s, size_t len);
/* Take ownership of memory from malloc (freed with free); returns it. */
void *pool_adopt(struct pool *p, void *mem);
/* Take ownership of a compiled regex or jq program; returns it. */
struct rx *pool_adopt_rx(struct pool *p, struct rx *r);
struct jqx *pool_adopt_jqx(struct pool *p, struct jqx *q);

#endif
