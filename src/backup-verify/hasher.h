#ifndef BV_HASHER_H
#define BV_HASHER_H
/*
 * SHA-256 on a second thread, so that hashing overlaps decompression.
 *
 * The reading thread copies data into a small ring of buffers (BV_HASHER_BUFS of
 * BV_HASHER_BUF_SIZE bytes) and marks where each message (an archive entry) ends;
 * the hasher thread hashes the buffers in order and finishes one digest per mark.
 * Small entries share a buffer, so a tar of a million tiny files costs a handful of
 * hand-overs per MiB, not one per file.  Digests come back in the order the messages
 * were ended, through bv_hasher_collect.
 *
 * The read pass runs two: one for the entries, one for the archive file's raw bytes
 * (its own SHA-256), so that on a machine with three cores neither hashing thread is
 * slower than decompression.
 *
 *	struct bv_hasher *h = bv_hasher_new(&e);
 *	bv_hasher_feed(h, buf, len);  ...  bv_hasher_end(h);     // per entry
 *	while (bv_hasher_collect(h, hex, 0, &e) == 1) ... next digest, in order ...
 *	bv_hasher_collect(h, hex, 1, &e) waits for the next one (flushing first)
 *	bv_hasher_free(h);
 *
 * Only one thread may call these functions (the reader); the hasher thread is
 * private.  Errors of libcrypto on the hasher thread are kept and returned by the
 * next bv_hasher_collect (code "crypto").
 */
#include <stddef.h>

#include "sha.h"
#include "srerr.h"

#define BV_HASHER_BUFS 4
#define BV_HASHER_BUF_SIZE ((size_t)1 << 20)
#define BV_HASHER_MARKS 4096      /* message ends per buffer before it is handed over */

struct bv_hasher;

/* Start the thread.  NULL and e (code "oom", "crypto" or "thread") on failure. */
struct bv_hasher *bv_hasher_new(struct srerr *e);

/* Copy len bytes of the current message into the ring; blocks while the ring is full.
   Never fails (a libcrypto error is reported by bv_hasher_collect). */
void bv_hasher_feed(struct bv_hasher *h, const void *buf, size_t len);

/* End the current message: its digest will be the next one collected after those of
   the messages ended before. */
void bv_hasher_end(struct bv_hasher *h);

/* Hand the partly filled buffer over, so that every message ended so far gets its
   digest without waiting for more data. */
void bv_hasher_flush(struct bv_hasher *h);

/*
 * The next digest, in order, as 64 hex digits and a NUL in hex.  Returns 1
 * with hex filled; 0 when none is pending, or without wait when the next one is not
 * ready yet; -1 and e after a libcrypto error on the hasher thread.  With wait it
 * flushes (bv_hasher_flush) and waits until the next pending digest is ready.
 */
int bv_hasher_collect(struct bv_hasher *h, char hex[SHA_HEX_LEN + 1], int wait,
		      struct srerr *e);

/* Messages ended whose digests were not collected yet. */
size_t bv_hasher_pending(const struct bv_hasher *h);

/* Stop the thread and free h; NULL is fine.  Uncollected digests are dropped. */
void bv_hasher_free(struct bv_hasher *h);

#endif
