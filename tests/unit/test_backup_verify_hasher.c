/*
 * backup-verify's hashing thread (hasher.c): digests equal sha_buf's, in order,
 * whatever the sizes of messages and feeds (tiny entries sharing a buffer, entries
 * larger than the ring, empty ones), with two hashers fed in turn as the read pass
 * does.
 *
 * The Makefile links tests/unit/test_backup_verify_*.c with backup-verify's objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/backup-verify/hasher.h"

/* Deterministic bytes: a simple LCG. */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (unsigned char)(seed >> 24);
	}
}

static void expect_digest(const void *data, size_t len, const char *hex)
{
	unsigned char d[SHA_DIGEST_LEN];
	char want[SHA_HEX_LEN + 1];

	assert_int_equal(sha_buf(data, len, d, NULL), 0);
	sha_hex(d, want);
	assert_string_equal(hex, want);
}

/* Feed data in pieces of at most step bytes. */
static void feed(struct bv_hasher *h, const unsigned char *p, size_t len, size_t step)
{
	while (len) {
		size_t n = len < step ? len : step;

		bv_hasher_feed(h, p, n);
		p += n;
		len -= n;
	}
}

static void test_digests_in_order_for_every_size(void **state)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 65, 4096, 1u << 20, (1u << 20) + 1,
					3u << 20, 7u << 20, 0, 5 };
	size_t n = sizeof(sizes) / sizeof(sizes[0]), collected = 0;
	unsigned char *buf = malloc(7u << 20);
	struct bv_hasher *h = bv_hasher_new(NULL);
	char hex[SHA_HEX_LEN + 1];

	(void)state;
	assert_non_null(buf);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++) {
		fill(buf, sizes[i], (uint32_t)i);
		feed(h, buf, sizes[i], 100000);
		bv_hasher_end(h);
		/* collect what is ready without waiting, as the reader does */
		while (bv_hasher_collect(h, hex, 0, NULL) == 1) {
			fill(buf, sizes[collected], (uint32_t)collected);
			expect_digest(buf, sizes[collected], hex);
			collected++;
		}
	}
	while (bv_hasher_collect(h, hex, 1, NULL) == 1) {
		fill(buf, sizes[collected], (uint32_t)collected);
		expect_digest(buf, sizes[collected], hex);
		collected++;
	}
	assert_int_equal(collected, n);
	assert_int_equal(bv_hasher_pending(h), 0);
	assert_int_equal(bv_hasher_collect(h, hex, 1, NULL), 0);
	bv_hasher_free(h);
	free(buf);
}

/* More tiny messages than one buffer has marks: handed over when the marks run out. */
static void test_many_tiny_messages(void **state)
{
	size_t n = BV_HASHER_MARKS * 3 + 7, collected = 0;
	struct bv_hasher *h = bv_hasher_new(NULL);
	char hex[SHA_HEX_LEN + 1];
	unsigned char b;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		b = (unsigned char)i;
		bv_hasher_feed(h, &b, 1);
		bv_hasher_end(h);
		while (bv_hasher_collect(h, hex, 0, NULL) == 1) {
			b = (unsigned char)collected++;
			expect_digest(&b, 1, hex);
		}
	}
	assert_int_equal(bv_hasher_pending(h), n - collected);
	while (bv_hasher_collect(h, hex, 1, NULL) == 1) {
		b = (unsigned char)collected++;
		expect_digest(&b, 1, hex);
	}
	assert_int_equal(collected, n);
	bv_hasher_free(h);
}

/* The archive file's hasher and the entries' hasher fed in turn, as the tap and
   arc_data do. */
static void test_two_hashers_interleaved(void **state)
{
	size_t total = (5u << 20) + 12345, pos = 0, entries = 0;
	unsigned char *file = malloc(total), *entry = malloc(300000);
	struct bv_hasher *hf = bv_hasher_new(NULL), *h = bv_hasher_new(NULL);
	char hex[SHA_HEX_LEN + 1];

	(void)state;
	fill(file, total, 99);
	fill(entry, 300000, 7);
	while (pos < total) {
		size_t n = total - pos < 65536 ? total - pos : 65536;

		bv_hasher_feed(hf, file + pos, n);
		pos += n;
		feed(h, entry, 300000, 70000);
		bv_hasher_end(h);
		entries++;
	}
	bv_hasher_end(hf);
	assert_int_equal(bv_hasher_collect(hf, hex, 1, NULL), 1);
	expect_digest(file, total, hex);
	for (size_t i = 0; i < entries; i++) {
		assert_int_equal(bv_hasher_collect(h, hex, 1, NULL), 1);
		expect_digest(entry, 300000, hex);
	}
	assert_int_equal(bv_hasher_collect(h, hex, 0, NULL), 0);
	bv_hasher_free(h);
	bv_hasher_free(hf);
	free(file);
	free(entry);
}

/* Freed with digests and data still in flight: no leak, no hang. */
static void test_free_with_work_pending(void **state)
{
	unsigned char *buf = calloc(1, 3u << 20);
	struct bv_hasher *h = bv_hasher_new(NULL);

	(void)state;
	bv_hasher_feed(h, buf, 3u << 20);
	bv_hasher_end(h);
	bv_hasher_feed(h, buf, 100);
	bv_hasher_free(h);
	bv_hasher_free(NULL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digests_in_order_for_every_size),
		cmocka_unit_test(test_many_tiny_messages),
		cmocka_unit_test(test_two_hashers_interleaved),
		cmocka_unit_test(test_free_with_work_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
