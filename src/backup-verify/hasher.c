/*
 * SHA-256 on a second thread; see hasher.h.
 *
 * A slot is one buffer with the offsets where messages end in it.  Slots move
 * between three places, all under mu: the free list, the current slot (being filled
 * by the reader, touched by it alone), and the ready FIFO (handed to the hasher
 * thread, which works on one outside the lock and then returns it to the free list).
 * Digests go back through a FIFO of their own.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hasher.h"
#include "banned.h"

typedef char hexdigest[SHA_HEX_LEN + 1];

struct slot {
	unsigned char *data;
	size_t len;
	size_t nmarks;
	size_t marks[BV_HASHER_MARKS];   /* a message ends after data[marks[i] - 1] */
};

struct digest_fifo {
	hexdigest *v;
	size_t head, n, cap;
};

struct bv_hasher {
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t work;        /* to the hasher: a slot is ready, or stop */
	pthread_cond_t space;       /* to the reader: a slot is free */
	pthread_cond_t done;        /* to the reader: digests were added */
	struct slot slots[BV_HASHER_BUFS];
	size_t freelist[BV_HASHER_BUFS], nfree;
	size_t ready[BV_HASHER_BUFS], ready_head, nready;
	int current;                /* slot being filled, -1 none (reader only) */
	size_t ended, collected;    /* messages (reader only) */
	struct digest_fifo out;     /* under mu */
	struct sha_ctx *ctx;        /* hasher thread only */
	hexdigest *scratch;         /* hasher thread only: one slot's digests */
	int stop;
	int failed;
	struct srerr err;
};

/* ---- the digest FIFO (under mu) ----------------------------------------------------- */

static int fifo_push(struct digest_fifo *f, const char *hex)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		hexdigest *v = malloc(cap * sizeof(*v));

		if (!v)
			return -1;
		for (size_t i = 0; i < f->n; i++)
			memcpy(v[i], f->v[(f->head + i) % f->cap], sizeof(*v));
		free(f->v);
		f->v = v;
		f->cap = cap;
		f->head = 0;
	}
	memcpy(f->v[(f->head + f->n) % f->cap], hex, sizeof(hexdigest));
	f->n++;
	return 0;
}

static void fifo_pop(struct digest_fifo *f, char *hex)
{
	memcpy(hex, f->v[f->head], sizeof(hexdigest));
	f->head = (f->head + 1) % f->cap;
	f->n--;
}

/* ---- the hasher thread ----------------------------------------------------------------- */

static void fail_locked(struct bv_hasher *h, const struct srerr *why)
{
	if (h->failed)
		return;
	h->failed = 1;
	if (why)
		h->err = *why;
	else
		srerr_set(&h->err, "oom", "out of memory");
}

/* Hash one slot outside the lock; returns how many digests it left in scratch.  After
   a libcrypto error (*bad) nothing more is hashed: the digests are "". */
static size_t hash_slot(struct bv_hasher *h, struct slot *s, struct srerr *why, int *bad)
{
	size_t pos = 0;

	for (size_t i = 0; i < s->nmarks; i++) {
		if (!*bad && (sha_update(h->ctx, s->data + pos, s->marks[i] - pos, why) == -1 ||
			      sha_final_hex(h->ctx, h->scratch[i], why) == -1))
			*bad = 1;
		if (*bad)
			h->scratch[i][0] = '\0';
		pos = s->marks[i];
	}
	if (!*bad && pos < s->len && sha_update(h->ctx, s->data + pos, s->len - pos, why) == -1)
		*bad = 1;
	return s->nmarks;
}

static void *hasher_main(void *arg)
{
	struct bv_hasher *h = arg;
	struct srerr why;
	int bad = 0;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->nready && !h->stop)
			pthread_cond_wait(&h->work, &h->mu);
		if (!h->nready)
			break;
		size_t idx = h->ready[h->ready_head];
		struct slot *s = &h->slots[idx];

		h->ready_head = (h->ready_head + 1) % BV_HASHER_BUFS;
		h->nready--;
		pthread_mutex_unlock(&h->mu);
		size_t n = hash_slot(h, s, &why, &bad);
		pthread_mutex_lock(&h->mu);
		if (bad)
			fail_locked(h, &why);
		for (size_t i = 0; i < n; i++)
			if (fifo_push(&h->out, h->scratch[i]) == -1)
				fail_locked(h, NULL);
		s->len = s->nmarks = 0;
		h->freelist[h->nfree++] = idx;
		pthread_cond_signal(&h->space);
		pthread_cond_signal(&h->done);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- the reader's side ------------------------------------------------------------------ */

/* Hand the current slot to the hasher (under mu). */
static void publish_locked(struct bv_hasher *h)
{
	if (h->current < 0)
		return;
	h->ready[(h->ready_head + h->nready) % BV_HASHER_BUFS] = (size_t)h->current;
	h->nready++;
	h->current = -1;
	pthread_cond_signal(&h->work);
}

void bv_hasher_flush(struct bv_hasher *h)
{
	pthread_mutex_lock(&h->mu);
	publish_locked(h);
	pthread_mutex_unlock(&h->mu);
}

/* The current slot, taking a free one (waiting for it) when there is none. */
static struct slot *current_slot(struct bv_hasher *h)
{
	if (h->current >= 0)
		return &h->slots[h->current];
	pthread_mutex_lock(&h->mu);
	while (!h->nfree)
		pthread_cond_wait(&h->space, &h->mu);
	h->current = (int)h->freelist[--h->nfree];
	pthread_mutex_unlock(&h->mu);
	return &h->slots[h->current];
}

void bv_hasher_feed(struct bv_hasher *h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		struct slot *s = current_slot(h);
		size_t n = BV_HASHER_BUF_SIZE - s->len;

		if (n > len)
			n = len;
		memcpy(s->data + s->len, p, n);
		s->len += n;
		p += n;
		len -= n;
		if (s->len == BV_HASHER_BUF_SIZE)
			bv_hasher_flush(h);
	}
}

void bv_hasher_end(struct bv_hasher *h)
{
	struct slot *s = current_slot(h);

	s->marks[s->nmarks++] = s->len;
	h->ended++;
	if (s->nmarks == BV_HASHER_MARKS)
		bv_hasher_flush(h);
}

int bv_hasher_collect(struct bv_hasher *h, char hex[SHA_HEX_LEN + 1], int wait,
		      struct srerr *e)
{
	int rc = 0;

	if (h->collected == h->ended)
		return 0;
	if (wait)
		bv_hasher_flush(h);
	pthread_mutex_lock(&h->mu);
	while (wait && !h->out.n && !h->failed)
		pthread_cond_wait(&h->done, &h->mu);
	if (h->failed) {
		if (e)
			*e = h->err;
		rc = -1;
	} else if (h->out.n) {
		fifo_pop(&h->out, hex);
		h->collected++;
		rc = 1;
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

size_t bv_hasher_pending(const struct bv_hasher *h)
{
	return h->ended - h->collected;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

static int alloc_parts(struct bv_hasher *h, struct srerr *e)
{
	h->current = -1;
	for (size_t i = 0; i < BV_HASHER_BUFS; i++) {
		if (!(h->slots[i].data = malloc(BV_HASHER_BUF_SIZE)))
			goto oom;
		h->freelist[h->nfree++] = i;
	}
	if (!(h->scratch = malloc(BV_HASHER_MARKS * sizeof(*h->scratch))))
		goto oom;
	return (h->ctx = sha_init(e)) ? 0 : -1;
oom:
	srerr_set(e, "oom", "out of memory");
	return -1;
}

struct bv_hasher *bv_hasher_new(struct srerr *e)
{
	struct bv_hasher *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	int rc;

	if (!h) {
		srerr_set(e, "oom", "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->space, NULL);
	pthread_cond_init(&h->done, NULL);
	if (alloc_parts(h, e) == -1) {
		bv_hasher_free(h);
		return NULL;
	}
	/* the thread blocks every signal, so that handlers (the restore test's SIGINT
	   and SIGTERM cleanup) run on the thread that set them up */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, hasher_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		srerr_set(e, "thread", "cannot start the hashing thread: %s", strerror(rc));
		bv_hasher_free(h);
		return NULL;
	}
	h->started = 1;
	return h;
}

void bv_hasher_free(struct bv_hasher *h)
{
	if (!h)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->mu);
		h->stop = 1;
		pthread_cond_signal(&h->work);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
	}
	for (size_t i = 0; i < BV_HASHER_BUFS; i++)
		free(h->slots[i].data);
	sha_free(h->ctx);
	free(h->out.v);
	free(h->scratch);
	pthread_cond_destroy(&h->work);
	pthread_cond_destroy(&h->space);
	pthread_cond_destroy(&h->done);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
