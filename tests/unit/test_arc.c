/*
 * Unit tests of src/lib/arc: archives made at test time by the real tools (GNU tar,
 * bsdtar, cpio, zip, 7z, gzip, bzip2, xz, zstd, lz4), then damaged on purpose; crafted
 * archives (libarchive's writer) for the unsafe entries; every error code.
 *
 * Run with an argument "--verify-only FILE" it only reads FILE through arc and exits:
 * the no-external-program test runs itself that way under strace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "arc.h"
#include "sha.h"
#include "srerr.h"
#include "banned.h"

static char dir[PATH_MAX];       /* scratch directory of the whole run */
static int have_tools;           /* every archive tool is installed */

/* ---- helpers -------------------------------------------------------------------- */

static const char *at(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *p = bufs[next++ % 8];

	assert_true(snprintf(p, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
	return p;
}

/* Run a shell command inside the scratch directory; 0 when it exits 0. */
__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
	char cmd[8192], full[8192 + PATH_MAX + 32];
	va_list ap;
	int st;

	va_start(ap, fmt);
	assert_true(vsnprintf(cmd, sizeof(cmd), fmt, ap) < (int)sizeof(cmd));
	va_end(ap);
	assert_true(snprintf(full, sizeof(full), "cd '%s' && { %s ; }", dir, cmd) <
		    (int)sizeof(full));
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SH(...) assert_int_equal(sh(__VA_ARGS__), 0)

static void need_tools(void)
{
	if (!have_tools)
		skip();
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Copy src to dst with a bit flipped at off (negative: from the end), or cut to
 * cut bytes (cut < 0: keep all), then extra bytes appended. */
static const char *mutate(const char *src, long flip, long cut, const void *extra, size_t elen)
{
	static int serial;
	static char name[64];
	size_t len;
	unsigned char *buf = slurp(at(src), &len), *out;

	if (flip != LONG_MIN) {
		size_t off = flip < 0 ? len - (size_t)-flip : (size_t)flip;

		assert_true(off < len);
		buf[off] ^= 0x10;
	}
	if (cut >= 0 && (size_t)cut < len)
		len = (size_t)cut;
	out = malloc(len + elen + 1);
	assert_non_null(out);
	memcpy(out, buf, len);
	if (elen)
		memcpy(out + len, extra, elen);
	snprintf(name, sizeof(name), "mut-%d", serial++);
	spit(at(name), out, len + elen);
	free(buf);
	free(out);
	return name;
}

#define NOFLIP LONG_MIN
#define NOCUT (-1L)

static long file_size(const char *name)
{
	struct stat st;

	assert_int_equal(stat(at(name), &st), 0);
	return (long)st.st_size;
}

struct result {
	int rc;                       /* 0 verified, -1 failed */
	struct srerr e;
	uint64_t entries, bytes;
	const char *format;
	const char *filters[ARC_MAX_FILTERS];
	size_t nfilters;
	char nums_sha[SHA_HEX_LEN + 1];   /* of the entry named .../d/nums.txt */
};

static void read_entry(struct arc_reader *r, const struct arc_entry *ent, struct result *res)
{
	struct sha_ctx *c = sha_init(NULL);
	const void *buf;
	size_t len;
	int rc;

	assert_non_null(c);
	while ((rc = arc_data(r, &buf, &len, &res->e)) == 1)
		assert_int_equal(sha_update(c, buf, len, NULL), 0);
	if (rc == 0 && strstr(ent->path, "d/nums.txt") && ent->type == ARC_FILE)
		assert_int_equal(sha_final_hex(c, res->nums_sha, NULL), 0);
	if (rc < 0)
		res->rc = -1;
	sha_free(c);
}

/* Read an archive fully, as backup-verify's check does. */
static struct result verify_r(struct arc_reader *r, struct result *res)
{
	struct arc_entry ent;
	int rc = 0;

	while (res->rc == 0 && (rc = arc_next(r, &ent, &res->e)) == 1)
		read_entry(r, &ent, res);
	if (res->rc == 0 && rc < 0)
		res->rc = -1;
	if (res->rc == 0 && arc_check_trailer(r, &res->e) < 0)
		res->rc = -1;
	res->entries = arc_entries(r);
	res->bytes = arc_data_bytes(r);
	res->format = arc_format(r);
	res->nfilters = arc_filters(r, res->filters, ARC_MAX_FILTERS);
	arc_close(r);
	return *res;
}

static struct result verify_lim(const char *name, const struct arc_limits *lim)
{
	struct result res;
	struct arc_reader *r;

	memset(&res, 0, sizeof(res));
	r = arc_open(at(name), NULL, NULL, &res.e);
	if (!r) {
		res.rc = -1;
		return res;
	}
	arc_set_limits(r, lim);
	return verify_r(r, &res);
}

static struct result verify(const char *name)
{
	return verify_lim(name, NULL);
}

/* The archive fails verification with code. */
static void expect_code(const char *name, const char *code, const char *what)
{
	struct result res = verify(name);

	if (res.rc == 0 || strcmp(res.e.code, code) != 0)
		fail_msg("%s: expected code %s, got %s (%s)", what, code,
			 res.rc ? res.e.code : "no error", res.rc ? res.e.msg : "verified");
}

static void expect_ok(const char *name, const char *what)
{
	struct result res = verify(name);

	if (res.rc != 0)
		fail_msg("%s: expected no error, got %s (%s)", what, res.e.code, res.e.msg);
}

static const char *sha_of(const char *name)
{
	static char hex[SHA_HEX_LEN + 1];

	assert_int_equal(sha_file_hex(at(name), hex, NULL, NULL), 0);
	return hex;
}

/* ---- fixtures ------------------------------------------------------------------- */

static int tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static int make_fixtures(void)
{
	static const char *const tools[] = { "tar", "bsdtar", "cpio", "zip", "7z", "gzip",
					     "bzip2", "xz", "zstd", "lz4", "truncate" };
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!tool(tools[i]))
			return 0;
	return sh("mkdir -p src/d src/e && printf 'hello\\n' > src/small.txt && "
		  "seq 1 20000 > src/d/nums.txt && head -c 200000 /dev/urandom > src/rand.bin && "
		  "printf 'spaced\\n' > 'src/sp ace.txt' && ln -s small.txt src/link && "
		  "ln src/small.txt src/hard && touch -d @1700000000 src/small.txt && "
		  "head -c 1000 /dev/urandom > a && head -c 2000 /dev/urandom > b && "
		  "tar -cf t.tar -C src . && tar --format=pax -cf t.pax.tar -C src . && "
		  "tar --format=ustar -cf t.ustar.tar -C src . && bsdtar -cf b.tar -C src . && "
		  "tar --format=ustar -cf tt.tar a b && "
		  "gzip -c t.tar > t.tar.gz && bzip2 -c t.tar > t.tar.bz2 && xz -c t.tar > t.tar.xz && "
		  "zstd -q -c t.tar > t.tar.zst && lz4 -q -c t.tar > t.tar.lz4 && "
		  "gzip -c t.tar | xz -c > t.tar.gz.xz && "
		  "(cd src && find . | sort | cpio -o -H newc --quiet > ../t.newc.cpio && "
		  " find . | sort | cpio -o -H odc --quiet > ../t.odc.cpio && "
		  " find . | sort | cpio -o -H crc --quiet > ../t.crc.cpio && "
		  " find . | sort | cpio -o -H bin --quiet > ../t.bin.cpio && "
		  " zip -q -r -0 ../s.zip . && zip -q -r ../d.zip . && 7z a -bd ../t.7z . >/dev/null) && "
		  "gzip -c d.zip > d.zip.gz") == 0;
}

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_arc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	have_tools = make_fixtures();
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[PATH_MAX + 32];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- reading: every format and filter ------------------------------------------- */

static void test_formats_and_filters(void **state)
{
	static const struct {
		const char *file, *format, *filter;
	} cases[] = {
		{ "t.tar", "tar (gnu)", NULL },
		{ "t.pax.tar", "tar (pax)", NULL },
		{ "t.ustar.tar", "tar (ustar)", NULL },
		{ "b.tar", "tar (ustar)", NULL },   /* bsdtar's restricted pax */
		{ "t.tar.gz", "tar (gnu)", "gzip" },
		{ "t.tar.bz2", "tar (gnu)", "bzip2" },
		{ "t.tar.xz", "tar (gnu)", "xz" },
		{ "t.tar.zst", "tar (gnu)", "zstd" },
		{ "t.tar.lz4", "tar (gnu)", "lz4" },
		{ "t.newc.cpio", "cpio (newc)", NULL },
		{ "t.odc.cpio", "cpio (odc)", NULL },
		{ "t.crc.cpio", "cpio (crc)", NULL },
		{ "t.bin.cpio", "cpio (bin)", NULL },
		{ "s.zip", "zip", NULL },
		{ "d.zip", "zip", NULL },
		{ "d.zip.gz", "zip", "gzip" },
		{ "t.7z", "7zip", NULL },
	};
	char want[SHA_HEX_LEN + 1];
	size_t i;

	(void)state;
	need_tools();
	snprintf(want, sizeof(want), "%s", sha_of("src/d/nums.txt"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result res = verify(cases[i].file);

		if (res.rc != 0)
			fail_msg("%s: %s: %s", cases[i].file, res.e.code, res.e.msg);
		assert_non_null(res.format);
		assert_string_equal(res.format, cases[i].format);
		assert_int_equal(res.nfilters, cases[i].filter ? 1 : 0);
		if (cases[i].filter)
			assert_string_equal(res.filters[0], cases[i].filter);
		assert_true(res.entries >= 7);
		assert_true(res.bytes >= 200000 + 108894);
		assert_string_equal(res.nums_sha, want);
	}
}

static void test_nested_filters(void **state)
{
	struct result res;

	(void)state;
	need_tools();
	res = verify("t.tar.gz.xz");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nfilters, 2);
	assert_string_equal(res.filters[0], "xz");
	assert_string_equal(res.filters[1], "gzip");
	SH("gzip -c t.tar | gzip | gzip | gzip | gzip > deep.gz");
	expect_code("deep.gz", "limit", "five nested filters");
}

/* What the entries say: types, links, sizes, modes, times. */
static void test_entry_fields(void **state)
{
	struct srerr e;
	struct arc_entry ent;
	struct arc_reader *r;
	int seen = 0, rc;

	(void)state;
	need_tools();
	r = arc_open(at("t.pax.tar"), NULL, NULL, &e);
	assert_non_null(r);
	assert_null(arc_format(r));
	while ((rc = arc_next(r, &ent, &e)) == 1) {
		if (!strcmp(ent.path, "./link")) {
			assert_int_equal(ent.type, ARC_SYMLINK);
			assert_string_equal(ent.link, "small.txt");
			seen |= 1;
		} else if (!strcmp(ent.path, "./small.txt") || !strcmp(ent.path, "./hard")) {
			/* whichever comes second is the hardlink */
			if (ent.type == ARC_HARDLINK)
				seen |= 2;
			else
				assert_int_equal(ent.type, ARC_FILE);
		} else if (!strcmp(ent.path, "./e/")) {
			assert_int_equal(ent.type, ARC_DIR);
			assert_null(ent.link);
			seen |= 4;
		} else if (!strcmp(ent.path, "./d/nums.txt")) {
			assert_int_equal(ent.size, 108894);
			assert_int_equal(ent.mode, 0644);
			assert_true(ent.mtime_ms > 1600000000000LL);
			seen |= 8;
		}
	}
	assert_int_equal(rc, 0);
	assert_int_equal(seen, 15);
	assert_int_equal(arc_check_trailer(r, &e), 0);
	assert_int_equal(arc_check_trailer(r, &e), 0);   /* twice is fine */
	assert_int_equal(arc_next(r, &ent, &e), 0);      /* and so is reading past the end */
	arc_close(r);
}

struct tap_state {
	struct sha_ctx *sha;
	uint64_t n;
};

static void tap_fn(void *arg, const void *buf, size_t len)
{
	struct tap_state *t = arg;

	assert_int_equal(sha_update(t->sha, buf, len, NULL), 0);
	t->n += len;
}

/* The tap sees each byte of the file once and in order, also when the reader seeks
 * (a zip's central directory, a 7z header at the end). */
static void test_tap_sees_the_whole_file(void **state)
{
	static const char *const files[] = { "t.tar", "t.tar.gz", "s.zip", "d.zip", "t.7z",
					     "t.tar.zst", "t.crc.cpio" };
	size_t i;

	(void)state;
	need_tools();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct tap_state t = { sha_init(NULL), 0 };
		struct result res;
		char hex[SHA_HEX_LEN + 1];
		struct arc_reader *r;

		memset(&res, 0, sizeof(res));
		r = arc_open(at(files[i]), tap_fn, &t, &res.e);
		assert_non_null(r);
		assert_int_equal(arc_file_size(r), (uint64_t)file_size(files[i]));
		assert_true(arc_raw_bytes(r) <= arc_file_size(r));
		res = verify_r(r, &res);
		assert_int_equal(res.rc, 0);
		assert_int_equal(t.n, (uint64_t)file_size(files[i]));
		assert_int_equal(sha_final_hex(t.sha, hex, NULL), 0);
		assert_string_equal(hex, sha_of(files[i]));
		sha_free(t.sha);
	}
}

static void test_open_mem(void **state)
{
	static const char *const files[] = { "t.tar.gz", "d.zip", "t.7z", "t.tar.lz4" };
	size_t i;

	(void)state;
	need_tools();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		unsigned char *buf = slurp(at(files[i]), &len);
		struct result res, want = verify(files[i]);
		struct arc_reader *r;

		memset(&res, 0, sizeof(res));
		r = arc_open_mem(buf, len, NULL, NULL, NULL, &res.e);
		assert_non_null(r);
		res = verify_r(r, &res);
		assert_int_equal(res.rc, 0);
		assert_int_equal(res.entries, want.entries);
		assert_int_equal(res.bytes, want.bytes);
		assert_string_equal(res.nums_sha, want.nums_sha);
		free(buf);
	}
}

/* GNU tar -S: holes come out as zeros, so the bytes equal the file's. */
static void test_sparse(void **state)
{
	static const char *const variants[] = { "", "--format=pax", "--format=oldgnu" };
	size_t i;

	(void)state;
	need_tools();
	SH("truncate -s 3000000 sp && printf middle | dd of=sp bs=1 seek=1500000 conv=notrunc "
	   "status=none && printf end | dd of=sp bs=1 seek=2999997 conv=notrunc status=none");
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct srerr e;
		struct arc_entry ent;
		struct arc_reader *r;
		struct sha_ctx *c = sha_init(NULL);
		const void *buf;
		size_t len;
		char hex[SHA_HEX_LEN + 1];

		SH("tar -S %s -cf sp.tar sp", variants[i]);
		r = arc_open(at("sp.tar"), NULL, NULL, &e);
		assert_non_null(r);
		assert_int_equal(arc_next(r, &ent, &e), 1);
		assert_int_equal(ent.size, 3000000);
		while (arc_data(r, &buf, &len, &e) == 1)
			sha_update(c, buf, len, NULL);
		assert_int_equal(arc_next(r, &ent, &e), 0);
		assert_int_equal(arc_check_trailer(r, &e), 0);
		assert_int_equal(arc_data_bytes(r), 3000000);
		assert_int_equal(sha_final_hex(c, hex, NULL), 0);
		assert_string_equal(hex, sha_of("sp"));
		sha_free(c);
		arc_close(r);
	}
}

/* ---- damage ---------------------------------------------------------------------- */

static void test_gzip_crc_and_trailer(void **state)
{
	long n;

	(void)state;
	need_tools();
	n = file_size("t.tar.gz");
	/* libarchive alone misses all of these: it never checks the gzip trailer */
	expect_code(mutate("t.tar.gz", n / 2, NOCUT, NULL, 0), "crc", "flip in deflate data");
	expect_code(mutate("t.tar.gz", -8, NOCUT, NULL, 0), "crc", "flip in the CRC-32");
	expect_code(mutate("t.tar.gz", -2, NOCUT, NULL, 0), "crc", "flip in ISIZE");
	expect_code(mutate("t.tar.gz", 40, NOCUT, NULL, 0), "corrupt", "flip in the Huffman tables");
}

static void test_gzip_truncated(void **state)
{
	long n, cuts[6];
	size_t i;

	(void)state;
	need_tools();
	n = file_size("t.tar.gz");
	cuts[0] = 15, cuts[1] = n / 3, cuts[2] = n - 30, cuts[3] = n - 8, cuts[4] = n - 4;
	cuts[5] = n - 1;
	for (i = 0; i < 6; i++) {
		char what[64];

		snprintf(what, sizeof(what), "gzip cut at %ld of %ld", cuts[i], n);
		expect_code(mutate("t.tar.gz", NOFLIP, cuts[i], NULL, 0), "truncated", what);
	}
}

static void test_gzip_after_the_stream(void **state)
{
	static const unsigned char zeros[4096];

	(void)state;
	need_tools();
	expect_code(mutate("t.tar.gz", NOFLIP, NOCUT, "garbage\n", 8), "trailing_garbage",
		    "text after gzip");
	expect_code(mutate("t.tar.gz", NOFLIP, NOCUT, "\x1f", 1), "trailing_garbage",
		    "a lone magic byte after gzip");
	expect_ok(mutate("t.tar.gz", NOFLIP, NOCUT, zeros, sizeof(zeros)), "zero padding");
	expect_code(mutate("t.tar.gz", NOFLIP, NOCUT, "\0\0\0x", 4), "trailing_garbage",
		    "garbage after zero padding");
	/* a second member is part of the stream: its bytes follow the tar end marker */
	SH("cp t.tar.gz two.gz && head -c 10240 /dev/zero | gzip >> two.gz");
	expect_ok("two.gz", "a second member of zeros");
	SH("cp t.tar.gz three.gz && echo more | gzip >> three.gz");
	expect_code("three.gz", "trailing_garbage", "a second member with data after the tar");
	SH("cp t.tar.gz four.gz && echo more | gzip | head -c 20 >> four.gz");
	expect_code("four.gz", "truncated", "a cut second member");
}

/* tt.tar (ustar): a at 0 (1000 bytes: data 512-1535), b at 1536 (2000 bytes:
 * 2048-4095), the end marker at 4096-5119, zero padding to 10240. */
static void test_tar_truncation_and_end(void **state)
{
	static const struct {
		long cut;
		const char *code;
	} cuts[] = {
		{ 300, "truncated" },  { 1636, "truncated" }, { 3000, "truncated" },
		{ 4096, "truncated" }, { 4608, "truncated" }, { 5120, NULL },
		{ 9000, NULL },
	};
	size_t i;

	(void)state;
	need_tools();
	assert_int_equal(file_size("tt.tar"), 10240);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char what[64], gz[64];
		const char *m = mutate("tt.tar", NOFLIP, cuts[i].cut, NULL, 0);

		snprintf(what, sizeof(what), "tar cut at %ld", cuts[i].cut);
		if (cuts[i].code)
			expect_code(m, cuts[i].code, what);
		else
			expect_ok(m, what);
		/* the same through a filter (the stream checks on decompressed data) */
		snprintf(gz, sizeof(gz), "%s.gz", m);
		SH("gzip -c %s > %s", m, gz);
		snprintf(what, sizeof(what), "tar.gz cut at %ld", cuts[i].cut);
		if (cuts[i].code)
			expect_code(gz, cuts[i].code, what);
		else
			expect_ok(gz, what);
	}
	expect_code(mutate("tt.tar", 6000, NOCUT, NULL, 0), "trailing_garbage", "junk in padding");
	expect_code(mutate("tt.tar", NOFLIP, NOCUT, "x", 1), "trailing_garbage", "byte after");
	expect_code(mutate("tt.tar", 1536 + 150, NOCUT, NULL, 0), "corrupt", "header checksum");
	expect_code(mutate("tt.tar", 100, NOCUT, NULL, 0), "corrupt", "first header");
	SH("cat tt.tar tt.tar > cat.tar");
	expect_code("cat.tar", "trailing_garbage", "two concatenated tars");
	SH("gzip -c tt.tar > cat.tar.gz && gzip -c tt.tar >> cat.tar.gz");
	expect_code("cat.tar.gz", "trailing_garbage", "two concatenated tar.gz");
}

static void test_other_filters(void **state)
{
	static const char *const files[] = { "t.tar.bz2", "t.tar.xz", "t.tar.zst", "t.tar.lz4" };
	static const unsigned char zeros[1024];
	size_t i;

	(void)state;
	need_tools();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *f = files[i];
		long n = file_size(f);
		struct result res = verify(mutate(f, n / 2, NOCUT, NULL, 0));

		if (res.rc == 0 || (strcmp(res.e.code, "crc") && strcmp(res.e.code, "corrupt")))
			fail_msg("%s flipped: %s %s", f, res.e.code, res.e.msg);
		res = verify(mutate(f, -6, NOCUT, NULL, 0));
		if (res.rc == 0)
			fail_msg("%s: a flip near the end went unnoticed", f);
		expect_code(mutate(f, NOFLIP, n - 4, NULL, 0), "truncated", f);
		expect_code(mutate(f, NOFLIP, n / 2, NULL, 0), "truncated", f);
		expect_code(mutate(f, NOFLIP, NOCUT, "garbage after the end", 21),
			    "trailing_garbage", f);
		/* zero padding: fine for bzip2, lz4 and xz (4-byte stream padding), never for zstd */
		if (strstr(f, "zst"))
			expect_code(mutate(f, NOFLIP, NOCUT, zeros, sizeof(zeros)),
				    "trailing_garbage", f);
		else
			expect_ok(mutate(f, NOFLIP, NOCUT, zeros, sizeof(zeros)), f);
	}
	/* lz4 and zstd checksums are only reached when the stream is read to its end */
	expect_code(mutate("t.tar.lz4", -2, NOCUT, NULL, 0), "crc", "lz4 content checksum");
	expect_code(mutate("t.tar.zst", -2, NOCUT, NULL, 0), "crc", "zstd content checksum");
}

static void test_zip(void **state)
{
	long n;

	(void)state;
	need_tools();
	n = file_size("s.zip");
	/* a stored entry: only its CRC-32 can notice (a mere warning in libarchive) */
	expect_code(mutate("s.zip", n / 2, NOCUT, NULL, 0), "crc", "stored zip flip");
	expect_code(mutate("s.zip", NOFLIP, n / 2, NULL, 0), "truncated", "zip cut in half");
	expect_code(mutate("s.zip", NOFLIP, n - 10, NULL, 0), "truncated", "zip cut in EOCD");
	expect_code(mutate("s.zip", NOFLIP, NOCUT, "garbage", 7), "trailing_garbage", "zip+junk");
	expect_ok(mutate("s.zip", NOFLIP, NOCUT, "\0\0\0\0", 4), "zip + zeros");
	n = file_size("d.zip");
	expect_code(mutate("d.zip", n / 3, NOCUT, NULL, 0), "crc", "deflated zip flip");
	SH("(cd src && zip -q -P secret ../enc.zip small.txt)");
	expect_code("enc.zip", "format", "encrypted zip");
}

static void test_7zip(void **state)
{
	long n;

	(void)state;
	need_tools();
	n = file_size("t.7z");
	expect_code(mutate("t.7z", n / 2, NOCUT, NULL, 0), "crc", "7z flip");
	expect_code(mutate("t.7z", NOFLIP, n / 2, NULL, 0), "truncated", "7z cut in half");
	expect_code(mutate("t.7z", NOFLIP, n - 1, NULL, 0), "truncated", "7z cut by one");
	expect_code(mutate("t.7z", NOFLIP, NOCUT, "garbage", 7), "trailing_garbage", "7z+junk");
	expect_code(mutate("t.7z", -3, NOCUT, NULL, 0), "corrupt", "7z header flip");
}

static void test_cpio(void **state)
{
	long n;

	(void)state;
	need_tools();
	n = file_size("t.crc.cpio");
	/* the crc variant's sum of data bytes, which libarchive does not check */
	expect_code(mutate("t.crc.cpio", n / 2, NOCUT, NULL, 0), "crc", "cpio crc flip");
	expect_code(mutate("t.newc.cpio", NOFLIP, n / 2, NULL, 0), "truncated", "cpio cut");
	expect_code(mutate("t.newc.cpio", 100, NOCUT, NULL, 0), "corrupt", "cpio header flip");
	expect_code(mutate("t.newc.cpio", NOFLIP, NOCUT, "junk", 4), "trailing_garbage",
		    "cpio+junk");
	SH("gzip -c t.newc.cpio > t.cpio.gz");
	expect_ok("t.cpio.gz", "cpio.gz");
	/* the second header straddles the reader's 1 MiB block boundary */
	SH("mkdir -p big && head -c 1048414 /dev/urandom > big/x && printf y > big/y && "
	   "(cd big && printf 'x\\ny\\n' | cpio -o -H crc --quiet > ../big.crc.cpio) && "
	   "gzip -c big.crc.cpio > big.crc.cpio.gz");
	expect_ok("big.crc.cpio", "a crc header across a block boundary");
	expect_ok("big.crc.cpio.gz", "the same, compressed");
}

static void test_empty(void **state)
{
	struct srerr e;
	struct arc_entry ent;
	struct arc_reader *r;

	(void)state;
	need_tools();
	SH(": > zero.bin && tar -cf empty.tar -T /dev/null && gzip -c empty.tar > empty.tar.gz && "
	   ": | gzip > nothing.gz && bsdtar -cf empty.pax --format pax -T /dev/null && "
	   "head -c 1024 /dev/zero > zeros.bin");
	expect_code("zero.bin", "empty", "0-byte file");
	expect_code("empty.tar", "empty", "empty tar");
	expect_code("empty.tar.gz", "empty", "empty tar.gz");
	expect_code("nothing.gz", "empty", "gzip of nothing");
	expect_code("empty.pax", "empty", "empty pax");
	expect_code("zeros.bin", "empty", "just an end marker");
	/* the error repeats */
	r = arc_open(at("empty.tar"), NULL, NULL, &e);
	assert_non_null(r);
	assert_int_equal(arc_next(r, &ent, &e), -1);
	assert_string_equal(e.code, "empty");
	memset(&e, 0, sizeof(e));
	assert_int_equal(arc_next(r, &ent, &e), -1);
	assert_string_equal(e.code, "empty");
	assert_int_equal(arc_entries(r), 0);
	arc_close(r);
}

static void test_not_archives(void **state)
{
	(void)state;
	need_tools();
	SH("printf 'begin 644 x\\n#86)C\\n`\\nend\\n' > uu.txt && echo hello > plain.txt && "
	   "printf 'LRZI\\0\\6\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' > x.lrz && "
	   "printf '\\211LZO\\0\\r\\n\\032\\n\\020\\060\\040\\240\\011\\100\\001\\005\\003\\0\\0' > x.lzo && "
	   "printf 'GRZipII\\0\\2\\0\\0\\0\\0\\0\\0\\0\\0\\0' > x.grz && gzip -c plain.txt > plain.gz && "
	   "echo hi > m && ar rc x.a m 2>/dev/null || printf '!<arch>\\n' > x.a");
	expect_code("uu.txt", "format", "uuencoded");
	expect_code("plain.txt", "format", "text");
	expect_code("x.lrz", "format", "lrzip");
	expect_code("x.lzo", "format", "lzop");
	expect_code("x.grz", "format", "grzip");
	expect_code("plain.gz", "format", "gzip of text");
	expect_code("x.a", "format", "ar");
}

/* Not one input starts a program: read them under strace and count execve calls. */
static void test_no_external_program(void **state)
{
	static const char *const files[] = { "x.lrz", "x.lzo", "x.grz", "uu.txt", "t.tar.lz4",
					     "t.tar.zst", "t.tar.xz", "t.tar.bz2", "t.tar.gz" };
	char self[PATH_MAX];
	ssize_t n;
	size_t i;

	(void)state;
	need_tools();
	if (!tool("strace") || sh("strace -qq -e trace=execve -o /dev/null true") != 0)
		skip();
	test_not_archives(state);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* (LeakSanitizer cannot run under ptrace) */
		sh("ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=execve -o trace.log "
		   "'%s' --verify-only '%s' >/dev/null", self, files[i]);
		if (sh("test \"$(grep -c 'execve(' trace.log)\" = 1") != 0) {
			sh("cat trace.log >&2");
			fail_msg("%s: reading it started another program", files[i]);
		}
	}
}

/* ---- limits ---------------------------------------------------------------------- */

static void test_limits(void **state)
{
	struct arc_limits lim = { 0, 3, 0 };
	struct result res;

	(void)state;
	need_tools();
	res = verify_lim("t.tar", &lim);
	assert_int_equal(res.rc, -1);
	assert_string_equal(res.e.code, "limit");
	assert_non_null(strstr(res.e.msg, "--max-entries"));
	assert_int_equal(res.entries, 3);
	/* the cap is inclusive: tt.tar has exactly 2 entries, so --max-entries 2 reaches
	 * its end cleanly, and only 1 is a limit after the first entry */
	lim.max_entries = 2;
	res = verify_lim("tt.tar", &lim);
	if (res.rc != 0)
		fail_msg("exactly max_entries entries: got %s (%s)", res.e.code, res.e.msg);
	assert_int_equal(res.entries, 2);
	lim.max_entries = 1;
	res = verify_lim("tt.tar", &lim);
	assert_int_equal(res.rc, -1);
	assert_string_equal(res.e.code, "limit");
	assert_int_equal(res.entries, 1);
	lim.max_entries = 0;
	lim.max_bytes = 1000;
	res = verify_lim("t.tar.gz", &lim);
	assert_string_equal(res.e.code, "limit");
	assert_non_null(strstr(res.e.msg, "--max-bytes"));
	assert_true(res.bytes <= 1000);
	lim.max_bytes = 0;
	lim.max_ratio = 1000;   /* generous: an ordinary archive passes */
	res = verify_lim("t.tar.gz", &lim);
	assert_int_equal(res.rc, 0);
}

/* A 1 GiB entry of zeros: a tar header, then 1025 gzip members (or zstd frames) of
 * 1 MiB of zeros each; made in a blink, but 1 GiB when decompressed. */
static const char *make_bomb(const char *comp)
{
	static char name[64];

	snprintf(name, sizeof(name), "bomb.tar.%s", comp);
	SH("truncate -s 1G zeros1g && tar --format=ustar -cf - zeros1g 2>/dev/null | "
	   "head -c 512 > hdr; head -c 1048576 /dev/zero > mz && %s -c hdr > %s && %s -c mz > mz.c && "
	   "i=0; while [ $i -lt 1025 ]; do cat mz.c; i=$((i+1)); done >> %s && rm -f zeros1g",
	   comp, name, comp, name);
	return name;
}

static void test_bomb(void **state)
{
	static const char *const comps[] = { "gzip", "zstd" };
	size_t i;

	(void)state;
	need_tools();
	for (i = 0; i < 2; i++) {
		struct arc_limits lim = { 0, 0, 20 };
		struct result res = verify_lim(make_bomb(comps[i]), &lim);

		assert_int_equal(res.rc, -1);
		assert_string_equal(res.e.code, "limit");
		assert_non_null(strstr(res.e.msg, "--max-ratio"));
		assert_true(res.bytes < (64u << 20));   /* stopped early */
	}
}

/* ---- misuse and I/O ---------------------------------------------------------------- */

static void test_io_and_misuse(void **state)
{
	struct srerr e;
	struct arc_entry ent;
	struct arc_reader *r;
	struct arc_writer *w;
	const void *buf;
	size_t len;

	(void)state;
	assert_null(arc_open(at("no-such-file"), NULL, NULL, &e));
	assert_string_equal(e.code, "io");
	assert_non_null(strstr(e.msg, "no-such-file"));
	assert_null(arc_open(dir, NULL, NULL, &e));
	assert_string_equal(e.code, "io");
	assert_null(arc_writer_new(at("no-such-dir"), &e));
	assert_string_equal(e.code, "io");
	need_tools();
	r = arc_open(at("t.tar"), NULL, NULL, &e);
	assert_non_null(r);
	assert_int_equal(arc_data(r, &buf, &len, &e), 0);   /* no entry yet: no data */
	assert_int_equal(arc_check_trailer(r, &e), -1);
	assert_string_equal(e.code, "invalid");
	SH("mkdir -p misuse");
	w = arc_writer_new(at("misuse"), &e);
	assert_non_null(w);
	assert_int_equal(arc_extract(r, w, NULL, NULL, NULL, NULL, &e), -1);
	assert_string_equal(e.code, "invalid");
	assert_int_equal(arc_next(r, &ent, &e), 1);
	arc_writer_free(w);
	arc_close(r);
	arc_close(NULL);
	arc_writer_free(NULL);
	/* an error is sticky: every later call repeats it */
	r = arc_open(at(mutate("tt.tar", NOFLIP, 3000, NULL, 0)), NULL, NULL, &e);
	assert_non_null(r);
	assert_int_equal(arc_next(r, &ent, &e), 1);
	assert_int_equal(arc_next(r, &ent, &e), 1);
	while (arc_data(r, &buf, &len, &e) == 1)
		;
	assert_string_equal(e.code, "truncated");
	memset(&e, 0, sizeof(e));
	assert_int_equal(arc_next(r, &ent, &e), -1);
	assert_string_equal(e.code, "truncated");
	assert_int_equal(arc_check_trailer(r, &e), -1);
	assert_string_equal(e.code, "truncated");
	arc_close(r);
}

/* ---- extraction ------------------------------------------------------------------ */

struct spec {
	const char *path;
	unsigned type;          /* AE_IF* */
	unsigned mode;
	const char *link;       /* symlink target, or hardlink target when hard */
	int hard;
	const char *data;
};

/* A pax tar (or a newc cpio, which can hold sockets) of exactly these entries;
 * libarchive's writer stores names as given. */
static void write_archive(const char *name, const struct spec *v, size_t n, int cpio)
{
	struct archive *a = archive_write_new();
	size_t i;

	assert_non_null(a);
	assert_int_equal(cpio ? archive_write_set_format_cpio_newc(a)
			      : archive_write_set_format_pax(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, at(name)), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = v[i].data ? strlen(v[i].data) : 0;

		archive_entry_set_pathname(ae, v[i].path);
		archive_entry_set_filetype(ae, v[i].hard ? AE_IFREG : v[i].type);
		archive_entry_set_perm(ae, v[i].mode);
		if (v[i].hard)
			archive_entry_set_hardlink(ae, v[i].link);
		else if (v[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, v[i].link);
		archive_entry_set_size(ae, (la_int64_t)len);
		archive_entry_set_mtime(ae, 1700000000, 0);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, v[i].data, len), (la_ssize_t)len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

struct restore {
	int ok, skipped, unsafe, other;
	char last_unsafe[SRERR_MSG_MAX];
	uint64_t cb_bytes;
	struct srerr fatal;
};

static void count_cb(void *arg, const void *buf, size_t len)
{
	struct restore *rs = arg;

	(void)buf;
	rs->cb_bytes += len;
}

/* Extract every entry of name into restore_dir (made fresh), as the restore test does. */
static struct restore restore(const char *name, const char *restore_dir,
			      const struct arc_limits *lim)
{
	struct restore rs;
	struct srerr e;
	struct arc_entry ent;
	struct arc_reader *r;
	struct arc_writer *w;
	int rc;

	memset(&rs, 0, sizeof(rs));
	SH("rm -rf '%s' && mkdir -p '%s'", restore_dir, restore_dir);
	r = arc_open(at(name), NULL, NULL, &e);
	assert_non_null(r);
	w = arc_writer_new(at(restore_dir), &e);
	assert_non_null(w);
	while ((rc = arc_next(r, &ent, &rs.fatal)) == 1) {
		int skipped = -1;

		if (arc_extract(r, w, lim, count_cb, &rs, &skipped, &e) == 0) {
			assert_true(skipped == 0 || skipped == 1);
			rs.ok += !skipped;
			rs.skipped += skipped;
		} else if (!strcmp(e.code, "unsafe_path")) {
			rs.unsafe++;
			snprintf(rs.last_unsafe, sizeof(rs.last_unsafe), "%s", e.msg);
		} else {
			rs.fatal = e;
			break;
		}
	}
	if (rc == 0)
		assert_int_equal(arc_check_trailer(r, &rs.fatal), 0);
	assert_int_equal(arc_writer_finish(w, &e), 0);
	arc_writer_free(w);
	arc_close(r);
	return rs;
}

static void test_extract_roundtrip(void **state)
{
	struct restore rs;
	struct stat st;

	(void)state;
	need_tools();
	rs = restore("t.pax.tar", "rt", NULL);
	assert_int_equal(rs.unsafe + rs.skipped + rs.other, 0);
	assert_int_equal(rs.cb_bytes, 200000 + 108894 + 6 + 7);
	SH("diff -r --no-dereference src rt");
	assert_int_equal(lstat(at("rt/link"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(at("rt/small.txt"), &st), 0);
	assert_int_equal(st.st_nlink, 2);          /* the hardlink is one */
	assert_int_equal(st.st_mtime, 1700000000);
	rs = restore("t.7z", "rt7", NULL);
	assert_int_equal(rs.unsafe + rs.other, 0);
	SH("cmp src/d/nums.txt rt7/d/nums.txt && cmp src/rand.bin rt7/rand.bin");
	rs = restore("d.zip.gz", "rtz", NULL);
	assert_int_equal(rs.unsafe + rs.other, 0);
	SH("cmp src/rand.bin rtz/rand.bin");
}

/* setuid/setgid/sticky are dropped, modes otherwise kept (no umask), read-only
 * directories get their mode at the end; devices, FIFOs and sockets are skipped. */
static void test_extract_modes_and_specials(void **state)
{
	static const struct spec v[] = {
		{ "suid", AE_IFREG, 06755, NULL, 0, "#!/bin/sh\n" },
		{ "grpw", AE_IFREG, 0664, NULL, 0, "x" },
		{ "ro", AE_IFDIR, 0555, NULL, 0, NULL },
		{ "ro/inside", AE_IFREG, 0444, NULL, 0, "y" },
		{ "sticky", AE_IFDIR, 01777, NULL, 0, NULL },
		{ "null", AE_IFCHR, 0666, NULL, 0, NULL },
		{ "disk", AE_IFBLK, 0660, NULL, 0, NULL },
		{ "fifo", AE_IFIFO, 0644, NULL, 0, NULL },
		{ "sock", AE_IFSOCK, 0755, NULL, 0, NULL },
	};
	struct restore rs;
	struct stat st;

	(void)state;
	write_archive("modes.cpio", v, sizeof(v) / sizeof(v[0]), 1);
	rs = restore("modes.cpio", "rm", NULL);
	assert_int_equal(rs.ok, 5);
	assert_int_equal(rs.skipped, 4);
	assert_int_equal(stat(at("rm/suid"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(at("rm/grpw"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0664);
	assert_int_equal(stat(at("rm/ro"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_int_equal(stat(at("rm/sticky"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777);
	assert_int_equal(lstat(at("rm/null"), &st), -1);
	assert_int_equal(lstat(at("rm/disk"), &st), -1);
	assert_int_equal(lstat(at("rm/fifo"), &st), -1);
	assert_int_equal(lstat(at("rm/sock"), &st), -1);
	SH("chmod -R u+w rm");
}

/* Nothing may be written outside the restore directory. */
static void test_extract_unsafe(void **state)
{
	char abs_file[PATH_MAX], abs_dir[PATH_MAX], abs_secret[PATH_MAX];
	struct restore rs;
	size_t len;
	unsigned char *secret;

	(void)state;
	assert_true(snprintf(abs_file, sizeof(abs_file), "%s/abs_escape", dir) < PATH_MAX);
	assert_true(snprintf(abs_dir, sizeof(abs_dir), "%s/outside", dir) < PATH_MAX);
	assert_true(snprintf(abs_secret, sizeof(abs_secret), "%s/outside/secret", dir) < PATH_MAX);
	{
		const struct spec v[] = {
			{ "../escape", AE_IFREG, 0644, NULL, 0, "pwned" },
			{ "ok/../../escape2", AE_IFREG, 0644, NULL, 0, "pwned" },
			{ abs_file, AE_IFREG, 0644, NULL, 0, "pwned" },
			{ "link", AE_IFLNK, 0777, abs_dir, 0, NULL },
			{ "link/secret", AE_IFREG, 0644, NULL, 0, "pwned" },
			{ "link/new", AE_IFREG, 0644, NULL, 0, "pwned" },
			{ "rel", AE_IFLNK, 0777, "../outside", 0, NULL },
			{ "rel/secret", AE_IFREG, 0644, NULL, 0, "pwned" },
			{ "h1", AE_IFREG, 0644, abs_secret, 1, NULL },
			{ "h2", AE_IFREG, 0644, "../outside/secret", 1, NULL },
			{ "h3", AE_IFREG, 0644, "link/secret", 1, NULL },
			/* a hardlink to a symlink, then data written to that name */
			{ "h4", AE_IFREG, 0644, "rel", 1, NULL },
			{ "h4", AE_IFREG, 0644, NULL, 0, "pwned" },
			{ "fine", AE_IFREG, 0644, NULL, 0, "fine" },
			{ "link", AE_IFREG, 0644, NULL, 0, "replaced the symlink" },
		};

		write_archive("unsafe.tar", v, sizeof(v) / sizeof(v[0]), 0);
	}
	SH("rm -rf outside && mkdir outside && printf original > outside/secret && mkdir -p box");
	rs = restore("unsafe.tar", "box/restore", NULL);
	if (rs.unsafe != 9 || rs.ok != 6)
		fail_msg("%d refused (want 9), %d extracted (want 6); last refusal: %s", rs.unsafe,
			 rs.ok, rs.last_unsafe);
	assert_int_equal(rs.fatal.code[0], '\0');
	secret = slurp(at("outside/secret"), &len);
	assert_int_equal(len, 8);
	assert_memory_equal(secret, "original", 8);
	free(secret);
	SH("test \"$(ls -A outside)\" = secret");
	SH("test ! -e escape && test ! -e escape2 && test ! -e box/escape && test ! -e abs_escape");
	SH("test \"$(cat box/restore/fine)\" = fine && test -f box/restore/link && "
	   "test ! -L box/restore/link && test -L box/restore/rel && test ! -L box/restore/h4 && "
	   "test \"$(cat box/restore/h4)\" = pwned");
}

static void test_extract_limits(void **state)
{
	struct arc_limits lim = { 0, 2, 0 };
	struct restore rs;
	struct stat st;

	(void)state;
	need_tools();
	rs = restore("t.pax.tar", "rl", &lim);
	assert_string_equal(rs.fatal.code, "limit");
	assert_non_null(strstr(rs.fatal.msg, "--max-entries"));
	assert_int_equal(rs.ok, 2);
	lim.max_entries = 0;
	lim.max_bytes = 50000;
	rs = restore("t.pax.tar", "rl", &lim);
	assert_string_equal(rs.fatal.code, "limit");
	assert_non_null(strstr(rs.fatal.msg, "--max-bytes"));
	assert_true(rs.cb_bytes <= 50000);
	/* the bomb: stopped after a few MiB, the file on disk stays small */
	lim.max_bytes = 0;
	lim.max_ratio = 10;
	rs = restore(make_bomb("zstd"), "rb", &lim);
	assert_string_equal(rs.fatal.code, "limit");
	assert_non_null(strstr(rs.fatal.msg, "--max-ratio"));
	/* (archive_write_disk gives the cut file its header's size, as a hole) */
	assert_int_equal(stat(at("rb/zeros1g"), &st), 0);
	assert_true(st.st_blocks * 512 < (16 << 20));
}

static void test_unsafe_reason(void **state)
{
	static const struct {
		const char *path;
		enum arc_type type;
		const char *link, *reason;
	} cases[] = {
		{ "a/b", ARC_FILE, NULL, NULL },
		{ "./a/b", ARC_FILE, NULL, NULL },
		{ "a..b/..c", ARC_FILE, NULL, NULL },
		{ "", ARC_FILE, NULL, "empty path" },
		{ "/etc/x", ARC_FILE, NULL, "absolute path" },
		{ "..", ARC_DIR, NULL, "contains .." },
		{ "a/../../x", ARC_FILE, NULL, "contains .." },
		{ "a//..//x", ARC_FILE, NULL, "contains .." },
		{ "a/..", ARC_DIR, NULL, "contains .." },
		{ "h", ARC_HARDLINK, "a/b", NULL },
		{ "h", ARC_HARDLINK, "/etc/passwd", "absolute hardlink target" },
		{ "h", ARC_HARDLINK, "../x", "hardlink target contains .." },
		{ "h", ARC_HARDLINK, "", "empty hardlink target" },
		{ "s", ARC_SYMLINK, "/etc/passwd", NULL },
		{ "s", ARC_SYMLINK, "../../x", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct arc_entry ent = { cases[i].path, cases[i].type, 0, 0644, 0, cases[i].link };
		const char *got = arc_unsafe_reason(&ent);

		if (cases[i].reason)
			assert_string_equal(got ? got : "(safe)", cases[i].reason);
		else if (got)
			fail_msg("'%s' judged unsafe: %s", cases[i].path, got);
	}
}

/* ---- main ------------------------------------------------------------------------ */

static int verify_only(const char *path)
{
	struct srerr e;
	struct arc_entry ent;
	struct arc_reader *r = arc_open(path, NULL, NULL, &e);
	const void *buf;
	size_t len;
	int rc;

	if (!r)
		return 1;
	while ((rc = arc_next(r, &ent, &e)) == 1)
		while (arc_data(r, &buf, &len, &e) == 1)
			;
	if (rc == 0)
		rc = arc_check_trailer(r, &e);
	arc_close(r);
	return rc < 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_and_filters),
		cmocka_unit_test(test_nested_filters),
		cmocka_unit_test(test_entry_fields),
		cmocka_unit_test(test_tap_sees_the_whole_file),
		cmocka_unit_test(test_open_mem),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_gzip_crc_and_trailer),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_after_the_stream),
		cmocka_unit_test(test_tar_truncation_and_end),
		cmocka_unit_test(test_other_filters),
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_7zip),
		cmocka_unit_test(test_cpio),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_not_archives),
		cmocka_unit_test(test_no_external_program),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_io_and_misuse),
		cmocka_unit_test(test_extract_roundtrip),
		cmocka_unit_test(test_extract_modes_and_specials),
		cmocka_unit_test(test_extract_unsafe),
		cmocka_unit_test(test_extract_limits),
		cmocka_unit_test(test_unsafe_reason),
	};

	if (argc == 3 && !strcmp(argv[1], "--verify-only"))
		return verify_only(argv[2]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
