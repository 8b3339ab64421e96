#ifndef SRETOOLS_SHA_H
#define SRETOOLS_SHA_H
/*
 * Streaming SHA-256 through OpenSSL's EVP interface (libcrypto 3).
 *
 *	struct sha_ctx *c = sha_init(&e);
 *	while (...) sha_update(c, buf, n, &e);
 *	sha_final_hex(c, hex, &e);      (c is ready for a new digest afterwards)
 *	sha_free(c);
 *
 * Errors: code "crypto" when libcrypto fails (the message carries OpenSSL's reason),
 * "io" when opening or reading a file fails (the message quotes the file), "oom".
 */
#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define SHA_DIGEST_LEN 32          /* bytes of a SHA-256 digest */
#define SHA_HEX_LEN 64             /* its lowercase hex form, without the NUL */

struct sha_ctx;

/* A new context, ready for sha_update; NULL and e on failure.  Free with sha_free. */
struct sha_ctx *sha_init(struct srerr *e);

/* Hash len more bytes of data (len 0 is fine).  Returns 0 or -1. */
int sha_update(struct sha_ctx *c, const void *data, size_t len, struct srerr *e);

/*
 * Write the digest of everything hashed since sha_init (or the last final) into
 * out, then reset c so that it can hash a new message.  Returns 0 or -1.
 */
int sha_final(struct sha_ctx *c, unsigned char out[SHA_DIGEST_LEN], struct srerr *e);

/* sha_final, as 64 lowercase hex digits and a NUL into hex. */
int sha_final_hex(struct sha_ctx *c, char hex[SHA_HEX_LEN + 1], struct srerr *e);

/* Free c; NULL is fine. */
void sha_free(struct sha_ctx *c);

/* Format a digest as 64 lowercase hex digits and a NUL. */
void sha_hex(const unsigned char digest[SHA_DIGEST_LEN], char hex[SHA_HEX_LEN + 1]);

/* The digest of one buffer.  Returns 0 or -1. */
int sha_buf(const void *data, size_t len, unsigned char out[SHA_DIGEST_LEN], struct srerr *e);

/*
 * The digest of everything readable from fd (read until end of file, resuming after
 * EINTR); name is the file's name for messages ("cannot read 'NAME': ...").  If
 * nbytes is not NULL it receives the number of bytes hashed.  Does not close fd.
 * Returns 0 or -1.
 */
int sha_fd(int fd, const char *name, unsigned char out[SHA_DIGEST_LEN], uint64_t *nbytes,
	   struct srerr *e);

/*
 * The digest of the file at path as hex (nbytes as for sha_fd, may be NULL).
 * Returns 0 or -1 ("cannot open 'PATH': ...", "cannot read 'PATH': ...").
 */
int sha_file_hex(const char *path, char hex[SHA_HEX_LEN + 1], uint64_t *nbytes,
		 struct srerr *e);

#endif
