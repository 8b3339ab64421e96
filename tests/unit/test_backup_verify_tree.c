/*
 * Unit tests of src/backup-verify/tree: order, entry values, symlinks never followed,
 * hardlinks, special files, errors naming the path, the callback's stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/backup-verify/manifest.h"
#include "sha.h"
#include "srerr.h"
#include "../../src/backup-verify/tree.h"
#include "banned.h"

static char *make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir;

	assert_true(asprintf(&dir, "%s/bv-tree-XXXXXX", t && *t ? t : "/tmp") > 0);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_rf(const char *dir)
{
	char *cmd;

	assert_true(asprintf(&cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static char *at(const char *dir, const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

static void put(const char *dir, const char *rel, const char *content)
{
	char *p = at(dir, rel);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
	free(p);
}

static void mkd(const char *dir, const char *rel)
{
	char *p = at(dir, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void sym(const char *dir, const char *target, const char *rel)
{
	char *p = at(dir, rel);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void hex_of(const char *s, char hex[SHA_HEX_LEN + 1])
{
	unsigned char d[SHA_DIGEST_LEN];

	assert_int_equal(sha_buf(s, strlen(s), d, NULL), 0);
	sha_hex(d, hex);
}

/* Every entry as one line "path type size mode sha-or-link". */
struct listing {
	char *text;
	size_t len;
	FILE *fp;
	int stop_at;            /* stop with this many entries seen (0: never) */
	int seen;
};

static int list_entry(void *arg, const struct bv_entry *ent)
{
	struct listing *l = arg;

	fprintf(l->fp, "%s %s %lld %04o %s\n", ent->path, bv_type_name(ent->type),
		(long long)ent->size, ent->mode, ent->link ? ent->link : ent->sha256);
	assert_int_not_equal(ent->mtime_ms, INT64_MIN);
	if (++l->seen == l->stop_at)
		return 42;
	return 0;
}

static char *walk_listing(const char *root, int *rc, struct srerr *e, int stop_at)
{
	struct listing l = { .stop_at = stop_at };

	l.fp = open_memstream(&l.text, &l.len);
	assert_non_null(l.fp);
	*rc = bv_tree_walk(root, list_entry, &l, e);
	fclose(l.fp);
	return l.text;
}

/* A tree with a bit of everything; its expected listing in *want. */
static char *sample_tree(char **want)
{
	char *dir = make_tmpdir(), *p, ha[65], hb[65], hn[65], he[65];
	FILE *fp;
	size_t len;

	hex_of("a", ha);
	hex_of("bb", hb);
	hex_of("new\nline", hn);
	hex_of("", he);
	put(dir, "a", "a");
	mkd(dir, "a-b");
	mkd(dir, "a.d");
	put(dir, "a.d/x", "bb");
	mkd(dir, "a.d/sub");
	put(dir, "a.d/sub/new\nline", "new\nline");
	put(dir, "empty", "");
	sym(dir, "a.d", "link-dir");          /* must not be followed */
	sym(dir, "/etc/passwd", "link-abs");
	sym(dir, "missing", "link-dangling");
	p = at(dir, "a.d/x");
	{
		char *q = at(dir, "hard");

		assert_int_equal(link(p, q), 0);
		free(q);
	}
	free(p);
	p = at(dir, "fifo");
	assert_int_equal(mkfifo(p, 0640), 0);
	free(p);
	p = at(dir, "a");
	assert_int_equal(chmod(p, 04711), 0);
	free(p);
	fp = open_memstream(want, &len);
	fprintf(fp, "a file 1 4711 %s\n", ha);
	fprintf(fp, "a-b dir 0 0755 \n");
	fprintf(fp, "a.d dir 0 0755 \n");
	fprintf(fp, "a.d/sub dir 0 0755 \n");
	fprintf(fp, "a.d/sub/new\nline file 8 0644 %s\n", hn);
	fprintf(fp, "a.d/x file 2 0644 %s\n", hb);
	fprintf(fp, "empty file 0 0644 %s\n", he);
	fprintf(fp, "fifo fifo 0 0640 \n");
	fprintf(fp, "hard file 2 0644 %s\n", hb);
	fprintf(fp, "link-abs symlink 0 0777 /etc/passwd\n");
	fprintf(fp, "link-dangling symlink 0 0777 missing\n");
	fprintf(fp, "link-dir symlink 0 0777 a.d\n");
	fclose(fp);
	return dir;
}

static void test_walk_sample(void **state)
{
	mode_t old = umask(022);
	char *want, *dir = sample_tree(&want), *got, *slash;
	struct srerr e;
	int rc;

	(void)state;
	got = walk_listing(dir, &rc, &e, 0);
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
	/* the same every time; a trailing slash on root changes nothing */
	assert_true(asprintf(&slash, "%s/", dir) > 0);
	got = walk_listing(slash, &rc, &e, 0);
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
	free(slash);
	free(want);
	rm_rf(dir);
	free(dir);
	umask(old);
}

static void test_root_may_be_a_symlink(void **state)
{
	char *dir = make_tmpdir(), *link, *got;
	struct srerr e;
	int rc;

	(void)state;
	mkd(dir, "real");
	put(dir, "real/f", "x");
	sym(dir, "real", "via");
	link = at(dir, "via");
	got = walk_listing(link, &rc, &e, 0);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(got, "f file 1 "));
	free(got);
	free(link);
	rm_rf(dir);
	free(dir);
}

static void test_empty_dir_and_manifest(void **state)
{
	char *dir = make_tmpdir();
	struct bv_manifest m;
	struct srerr e;
	char hex[65];

	(void)state;
	bv_manifest_init(&m);
	assert_int_equal(bv_tree_manifest(dir, &m, &e), 0);
	assert_int_equal(m.n, 0);
	put(dir, "f", "a");
	mkd(dir, "d");
	assert_int_equal(bv_tree_manifest(dir, &m, &e), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0].path, "d");
	assert_int_equal(m.v[0].type, ARC_DIR);
	hex_of("a", hex);
	assert_string_equal(bv_manifest_find(&m, "f")->sha256, hex);
	assert_false(m.hashes_only);
	bv_manifest_release(&m);
	rm_rf(dir);
	free(dir);
}

static void test_special_files(void **state)
{
	char *dir = make_tmpdir(), *p, *got;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct srerr e;
	int fd, rc;

	(void)state;
	p = at(dir, "sock");
	if (strlen(p) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, p, strlen(p) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	free(p);
	p = at(dir, "null");
	if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) == 0) {   /* root only */
		got = walk_listing(dir, &rc, &e, 0);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(got, "null chr 0 0600 \n"));
		free(got);
		unlink(p);
	}
	free(p);
	got = walk_listing(dir, &rc, &e, 0);
	assert_int_equal(rc, 0);
	if (strlen(dir) + 5 < sizeof(sa.sun_path))
		assert_non_null(strstr(got, "sock sock 0 "));
	free(got);
	rm_rf(dir);
	free(dir);
}

static void test_callback_stops(void **state)
{
	char *want, *dir = sample_tree(&want), *got;
	struct srerr e;
	int rc;

	(void)state;
	got = walk_listing(dir, &rc, &e, 3);      /* stopped at the third entry */
	assert_int_equal(rc, 42);
	assert_non_null(strstr(got, "\na.d dir "));
	assert_null(strstr(got, "a.d/"));
	free(got);
	got = walk_listing(dir, &rc, &e, 5);      /* deep inside: unwinds cleanly */
	assert_int_equal(rc, 42);
	free(got);
	free(want);
	rm_rf(dir);
	free(dir);
}

static void expect_error(const char *root, const char *code, const char *msg)
{
	struct srerr e;
	char *got;
	int rc;

	srerr_clear(&e);
	got = walk_listing(root, &rc, &e, 0);
	free(got);
	assert_int_equal(rc, -1);
	assert_string_equal(e.code, code);
	if (!strstr(e.msg, msg))
		fail_msg("message '%s' lacks '%s'", e.msg, msg);
}

static void test_root_errors(void **state)
{
	char *dir = make_tmpdir(), *p, *want;

	(void)state;
	p = at(dir, "nope");
	assert_true(asprintf(&want, "cannot open directory '%s': No such file", p) > 0);
	expect_error(p, "io", want);
	free(want);
	free(p);
	put(dir, "file", "x");
	p = at(dir, "file");
	expect_error(p, "io", "Not a directory");
	free(p);
	rm_rf(dir);
	free(dir);
}

static void test_unreadable(void **state)
{
	char *dir = make_tmpdir(), *p, *want;

	(void)state;
	if (geteuid() == 0) {
		rm_rf(dir);
		free(dir);
		skip();                    /* root reads everything */
	}
	mkd(dir, "d");
	put(dir, "d/secret", "x");
	p = at(dir, "d/secret");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	assert_true(asprintf(&want, "cannot open '%s/d/secret': Permission denied", dir) > 0);
	expect_error(dir, "io", want);
	free(want);
	p = at(dir, "d");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	assert_true(asprintf(&want, "cannot open directory '%s/d': Permission denied", dir) > 0);
	expect_error(dir, "io", want);
	free(want);
	rm_rf(dir);
	free(dir);
}

static void test_depth_limit(void **state)
{
	char *dir = make_tmpdir(), *p = strdup(dir), *q;
	int depth;

	(void)state;
	for (depth = 0; depth <= BV_TREE_MAX_DEPTH; depth++) {
		assert_true(asprintf(&q, "%s/d", p) > 0);
		assert_int_equal(mkdir(q, 0755), 0);
		free(p);
		p = q;
	}
	expect_error(dir, "limit", "is nested deeper than 256 directories");
	/* one level less is fine */
	assert_int_equal(rmdir(p), 0);
	{
		struct srerr e;
		int rc;
		char *got = walk_listing(dir, &rc, &e, 0);

		assert_int_equal(rc, 0);
		free(got);
	}
	free(p);
	rm_rf(dir);
	free(dir);
}

/* Callbacks that change the tree under the walk. */
struct swap {
	const char *dir;
	const char *when;       /* the path whose visit triggers the change */
	int symlink;            /* replace "d" by a symlink; else by another directory */
};

static int swap_dir(void *arg, const struct bv_entry *ent)
{
	struct swap *s = arg;
	char *d, *o;

	if (strcmp(ent->path, s->when))
		return 0;
	d = at(s->dir, "d");
	o = at(s->dir, "other");
	assert_int_equal(rename(d, o), 0);
	if (s->symlink) {
		assert_int_equal(symlink("other", d), 0);
	} else {
		char *t = at(s->dir, "twin");

		assert_int_equal(rename(t, d), 0);
		free(t);
	}
	free(d);
	free(o);
	return 0;
}

static void test_swapped_during_walk(void **state)
{
	char *dir = make_tmpdir();
	struct swap s = { .dir = dir, .when = "d", .symlink = 1 };
	struct srerr e;

	(void)state;
	mkd(dir, "d");
	put(dir, "d/f", "x");
	mkd(dir, "twin");
	/* a directory replaced by a symlink after lstat: never followed */
	srerr_clear(&e);
	assert_int_equal(bv_tree_walk(dir, swap_dir, &s, &e), -1);
	assert_string_equal(e.code, "io");
	assert_non_null(strstr(e.msg, "cannot open directory '"));
	assert_non_null(strstr(e.msg, "/d': Not a directory"));
	rm_rf(dir);
	free(dir);
	/* replaced by another directory: refused as well */
	dir = make_tmpdir();
	s.dir = dir;
	s.symlink = 0;
	mkd(dir, "d");
	mkd(dir, "twin");
	srerr_clear(&e);
	assert_int_equal(bv_tree_walk(dir, swap_dir, &s, &e), -1);
	assert_string_equal(e.code, "io");
	assert_non_null(strstr(e.msg, "/d' was replaced during the walk"));
	rm_rf(dir);
	free(dir);
}

static void test_many_hardlinks(void **state)
{
	char *dir = make_tmpdir(), *src, *dst, name[32], hex[65];
	struct bv_manifest m;
	struct srerr e;

	(void)state;
	put(dir, "orig", "content");
	hex_of("content", hex);
	src = at(dir, "orig");
	for (int i = 0; i < 200; i++) {      /* grows the inode cache a few times */
		snprintf(name, sizeof(name), "l%03d", i);
		dst = at(dir, name);
		assert_int_equal(link(src, dst), 0);
		free(dst);
		snprintf(name, sizeof(name), "u%03d", i);   /* distinct inodes with nlink 2 */
		put(dir, name, name);
		dst = at(dir, name);
		snprintf(name, sizeof(name), "v%03d", i);
		{
			char *v = at(dir, name);

			assert_int_equal(link(dst, v), 0);
			free(v);
		}
		free(dst);
	}
	free(src);
	bv_manifest_init(&m);
	assert_int_equal(bv_tree_manifest(dir, &m, &e), 0);
	assert_int_equal(m.n, 601);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(m.v[i].type, ARC_FILE);
		if (m.v[i].path[0] == 'l' || m.v[i].path[0] == 'o') {
			assert_string_equal(m.v[i].sha256, hex);
			assert_int_equal(m.v[i].size, 7);
		} else {
			char want[65], nm[8];

			snprintf(nm, sizeof(nm), "u%s", m.v[i].path + 1);
			hex_of(nm, want);
			assert_string_equal(m.v[i].sha256, want);
		}
	}
	bv_manifest_release(&m);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_sample),
		cmocka_unit_test(test_root_may_be_a_symlink),
		cmocka_unit_test(test_empty_dir_and_manifest),
		cmocka_unit_test(test_special_files),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_root_errors),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_swapped_during_walk),
		cmocka_unit_test(test_many_hardlinks),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
