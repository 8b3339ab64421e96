#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "sha.h"
#include "banned.h"

struct sha_ctx {
	EVP_MD_CTX *md;
};

/* Report libcrypto's most recent reason (and empty its error queue). */
static int crypto_err(struct srerr *e, const char *what)
{
	char reason[256] = "unknown error";
	unsigned long code = ERR_peek_last_error();

	if (code)
		ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	srerr_set(e, "crypto", "sha-256 %s failed: %s", what, reason);
	return -1;
}

struct sha_ctx *sha_init(struct srerr *e)
{
	struct sha_ctx *c = calloc(1, sizeof(*c));

	if (!c) {
		srerr_set(e, "oom", "out of memory");
		return NULL;
	}
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		crypto_err(e, "init");
		sha_free(c);
		return NULL;
	}
	return c;
}

int sha_update(struct sha_ctx *c, const void *data, size_t len, struct srerr *e)
{
	if (len && EVP_DigestUpdate(c->md, data, len) != 1)
		return crypto_err(e, "update");
	return 0;
}

int sha_final(struct sha_ctx *c, unsigned char out[SHA_DIGEST_LEN], struct srerr *e)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != SHA_DIGEST_LEN)
		return crypto_err(e, "final");
	/* Ready for the next message, as the header promises. */
	if (EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		return crypto_err(e, "init");
	return 0;
}

int sha_final_hex(struct sha_ctx *c, char hex[SHA_HEX_LEN + 1], struct srerr *e)
{
	unsigned char d[SHA_DIGEST_LEN];

	if (sha_final(c, d, e) < 0)
		return -1;
	sha_hex(d, hex);
	return 0;
}

void sha_free(struct sha_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

void sha_hex(const unsigned char digest[SHA_DIGEST_LEN], char hex[SHA_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SHA_DIGEST_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[SHA_HEX_LEN] = '\0';
}

int sha_buf(const void *data, size_t len, unsigned char out[SHA_DIGEST_LEN], struct srerr *e)
{
	struct sha_ctx *c = sha_init(e);
	int rc;

	if (!c)
		return -1;
	rc = sha_update(c, data, len, e) == 0 ? sha_final(c, out, e) : -1;
	sha_free(c);
	return rc;
}

static int hash_fd(struct sha_ctx *c, int fd, const char *name, uint64_t *total,
		   struct srerr *e)
{
	enum { BUFSZ = 64 * 1024 };
	char *buf = malloc(BUFSZ);
	int rc = 0;

	if (!buf) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	for (*total = 0;;) {
		ssize_t r = read(fd, buf, BUFSZ);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			srerr_set(e, "io", "cannot read '%s': %s", name, strerror(errno));
			rc = -1;
		}
		if (r <= 0 || (rc = sha_update(c, buf, (size_t)r, e)) < 0)
			break;
		*total += (uint64_t)r;
	}
	free(buf);
	return rc;
}

int sha_fd(int fd, const char *name, unsigned char out[SHA_DIGEST_LEN], uint64_t *nbytes,
	   struct srerr *e)
{
	struct sha_ctx *c = sha_init(e);
	uint64_t total = 0;
	int rc;

	if (!c)
		return -1;
	rc = hash_fd(c, fd, name, &total, e);
	if (rc == 0)
		rc = sha_final(c, out, e);
	sha_free(c);
	if (rc == 0 && nbytes)
		*nbytes = total;
	return rc;
}

int sha_file_hex(const char *path, char hex[SHA_HEX_LEN + 1], uint64_t *nbytes,
		 struct srerr *e)
{
	unsigned char d[SHA_DIGEST_LEN];
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		srerr_set(e, "io", "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	rc = sha_fd(fd, path, d, nbytes, e);
	close(fd);
	if (rc == 0)
		sha_hex(d, hex);
	return rc;
}
