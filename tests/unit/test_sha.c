/* Unit tests of src/lib/sha: FIPS 180-2 vectors, streaming, files, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "sha.h"
#include "srerr.h"
#include "banned.h"

#define HEX_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define HEX_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define HEX_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void hex_of(const void *data, size_t len, char hex[SHA_HEX_LEN + 1])
{
	unsigned char d[SHA_DIGEST_LEN];
	struct srerr e;

	assert_int_equal(sha_buf(data, len, d, &e), 0);
	sha_hex(d, hex);
}

static void test_vectors(void **state)
{
	char hex[SHA_HEX_LEN + 1];

	(void)state;
	hex_of("", 0, hex);
	assert_string_equal(hex, HEX_EMPTY);
	hex_of("abc", 3, hex);
	assert_string_equal(hex, HEX_ABC);
	hex_of(MSG_448, strlen(MSG_448), hex);
	assert_string_equal(hex, HEX_448);
}

static void test_million_a_streamed(void **state)
{
	char block[1000], hex[SHA_HEX_LEN + 1];
	struct srerr e;
	struct sha_ctx *c = sha_init(&e);
	int i;

	(void)state;
	assert_non_null(c);
	memset(block, 'a', sizeof(block));
	for (i = 0; i < 1000; i++)
		assert_int_equal(sha_update(c, block, sizeof(block), &e), 0);
	assert_int_equal(sha_final_hex(c, hex, &e), 0);
	assert_string_equal(hex, HEX_MILLION_A);
	/* final resets the context: the next message starts from scratch */
	assert_int_equal(sha_update(c, "abc", 3, &e), 0);
	assert_int_equal(sha_final_hex(c, hex, &e), 0);
	assert_string_equal(hex, HEX_ABC);
	assert_int_equal(sha_final_hex(c, hex, &e), 0);
	assert_string_equal(hex, HEX_EMPTY);
	sha_free(c);
	sha_free(NULL);
}

static void test_odd_chunks_equal_one_shot(void **state)
{
	size_t len = 1u << 20, off = 0, step = 1;
	unsigned char *data = malloc(len), one[SHA_DIGEST_LEN], streamed[SHA_DIGEST_LEN];
	uint32_t x = 2463534242u;
	struct srerr e;
	struct sha_ctx *c;
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		data[i] = (unsigned char)x;
	}
	assert_int_equal(sha_buf(data, len, one, &e), 0);
	c = sha_init(&e);
	assert_non_null(c);
	while (off < len) {
		size_t n = step < len - off ? step : len - off;

		assert_int_equal(sha_update(c, data + off, n, &e), 0);
		assert_int_equal(sha_update(c, data, 0, &e), 0);
		off += n;
		step = step * 3 + 1;   /* 1, 4, 13, 40, ... crosses every block boundary */
		if (step > 70001)
			step = 7;
	}
	assert_int_equal(sha_final(c, streamed, &e), 0);
	assert_memory_equal(one, streamed, SHA_DIGEST_LEN);
	sha_free(c);
	free(data);
}

static void test_hex_lowercase(void **state)
{
	unsigned char d[SHA_DIGEST_LEN];
	char hex[SHA_HEX_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(i * 8 + 7);
	d[0] = 0xAB;
	d[31] = 0x00;
	sha_hex(d, hex);
	assert_int_equal(strlen(hex), SHA_HEX_LEN);
	assert_memory_equal(hex, "ab0f171f", 8);
	assert_memory_equal(hex + 62, "00", 2);
}

static char *scratch_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	assert_true(asprintf(&p, "%s/test_sha.XXXXXX", t && *t ? t : "/tmp") > 0);
	assert_non_null(mkdtemp(p));
	return p;
}

static void test_file(void **state)
{
	char *dir = scratch_dir(), *path, hex[SHA_HEX_LEN + 1];
	uint64_t n = 99;
	struct srerr e;
	int fd;

	(void)state;
	assert_true(asprintf(&path, "%s/f", dir) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, MSG_448, strlen(MSG_448)), (ssize_t)strlen(MSG_448));
	close(fd);
	assert_int_equal(sha_file_hex(path, hex, &n, &e), 0);
	assert_string_equal(hex, HEX_448);
	assert_int_equal(n, strlen(MSG_448));
	assert_int_equal(sha_file_hex(path, hex, NULL, &e), 0);
	/* an empty file */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(sha_file_hex(path, hex, &n, &e), 0);
	assert_string_equal(hex, HEX_EMPTY);
	assert_int_equal(n, 0);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static void test_file_errors(void **state)
{
	char *dir = scratch_dir(), *msg, hex[SHA_HEX_LEN + 1];
	unsigned char d[SHA_DIGEST_LEN];
	struct srerr e;
	int fd;

	(void)state;
	assert_int_equal(sha_file_hex("/nonexistent/sha-test", hex, NULL, &e), -1);
	assert_string_equal(e.code, "io");
	assert_string_equal(e.msg, "cannot open '/nonexistent/sha-test': No such file or directory");
	/* a directory opens but cannot be read */
	assert_int_equal(sha_file_hex(dir, hex, NULL, &e), -1);
	assert_string_equal(e.code, "io");
	assert_true(asprintf(&msg, "cannot read '%s': Is a directory", dir) > 0);
	assert_string_equal(e.msg, msg);
	free(msg);
	/* a descriptor open for writing only */
	fd = open("/dev/null", O_WRONLY);
	assert_int_equal(sha_fd(fd, "/dev/null", d, NULL, &e), -1);
	assert_string_equal(e.msg, "cannot read '/dev/null': Bad file descriptor");
	close(fd);
	/* e may be NULL */
	assert_int_equal(sha_file_hex("/nonexistent/sha-test", hex, NULL, NULL), -1);
	rmdir(dir);
	free(dir);
}

static void test_crypto_error(void **state)
{
	unsigned char d[SHA_DIGEST_LEN];
	struct srerr e;

	(void)state;
	/* No FIPS provider is loaded, so asking for one makes the SHA-256 fetch fail. */
	assert_int_equal(EVP_set_default_properties(NULL, "fips=yes"), 1);
	assert_null(sha_init(&e));
	assert_string_equal(e.code, "crypto");
	assert_non_null(strstr(e.msg, "sha-256 init failed: "));
	assert_int_equal(sha_buf("abc", 3, d, &e), -1);
	assert_string_equal(e.code, "crypto");
	assert_int_equal(EVP_set_default_properties(NULL, ""), 1);
	assert_int_equal(sha_buf("abc", 3, d, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a_streamed),
		cmocka_unit_test(test_odd_chunks_equal_one_shot),
		cmocka_unit_test(test_hex_lowercase),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_crypto_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
