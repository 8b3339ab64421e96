#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jqx.h"
#include "pool.h"
#include "rx.h"
#include "banned.h"

enum pool_kind { POOL_MEM, POOL_RX, POOL_JQX };

struct pool_item {
	enum pool_kind kind;
	void *ptr;
};

struct pool {
	struct pool_item *items;
	size_t n, cap;
};

__attribute__((noreturn)) static void out_of_memory(void)
{
	cli_die(CLI_TROUBLE, "out of memory");
}

struct pool *pool_new(void)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		out_of_memory();
	return p;
}

static void *pool_keep(struct pool *p, enum pool_kind kind, void *ptr)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct pool_item *items = realloc(p->items, cap * sizeof(*items));

		if (!items)
			out_of_memory();
		p->items = items;
		p->cap = cap;
	}
	p->items[p->n].kind = kind;
	p->items[p->n].ptr = ptr;
	p->n++;
	return ptr;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	for (size_t i = p->n; i-- > 0;) {
		switch (p->items[i].kind) {
		case POOL_RX:
			rx_free(p->items[i].ptr);
			break;
		case POOL_JQX:
			jqx_free(p->items[i].ptr);
			break;
		default:
			free(p->items[i].ptr);
		}
	}
	free(p->items);
	free(p);
}

void *pool_alloc(struct pool *p, size_t n)
{
	void *mem = calloc(1, n ? n : 1);

	if (!mem)
		out_of_memory();
	return pool_keep(p, POOL_MEM, mem);
}

char *pool_memdup(struct pool *p, const void *s, size_t len)
{
	char *copy;

	if (len == (size_t)-1)
		out_of_memory();
	copy = pool_alloc(p, len + 1);
	if (len)
		memcpy(copy, s, len);
	return copy;
}

char *pool_strdup(struct pool *p, const char *s)
{
	return s ? pool_memdup(p, s, strlen(s)) : NULL;
}

void *pool_adopt(struct pool *p, void *mem)
{
	return mem ? pool_keep(p, POOL_MEM, mem) : NULL;
}

struct rx *pool_adopt_rx(struct pool *p, struct rx *r)
{
	return r ? pool_keep(p, POOL_RX, r) : NULL;
}

struct jqx *pool_adopt_jqx(struct pool *p, struct jqx *q)
{
	return q ? pool_keep(p, POOL_JQX, q) : NULL;
}
