/*
 * libFuzzer target for src/lib/arc.  Every input is an archive in memory
 * (arc_open_mem), read as backup-verify's check reads it: every entry, all its data,
 * then the end.  Besides "no crash, no leak, no UB, no hang" (caps keep the
 * decompressed size small), it checks on every input:
 *  - the tap sees the input's bytes in order, each once, and all of them when the
 *    archive verifies;
 *  - a failure carries one of the documented codes and a message;
 *  - a verified regular entry yields exactly its header's size;
 *  - reading the same input twice gives the same outcome.
 *
 *	make fuzz-build && build/fuzz/fuzz_arc -max_total_time=300 -malloc_limit_mb=8192 \
 *		corpus_dir tests/fuzz/corpus/fuzz_arc
 *
 * libarchive allocates what a header declares (up to 4 GiB for a cpio symlink target
 * in a tiny input): harmless virtual memory in a normal build, but more than
 * libFuzzer's default malloc limit (the -rss_limit_mb, 2 GiB), hence the option.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "banned.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_arc: property violated: %s\n", what);
		abort();
	}
}

struct tap {
	const uint8_t *data;
	size_t size, seen;
};

static void tap_fn(void *arg, const void *buf, size_t len)
{
	struct tap *t = arg;

	check(t->seen + len <= t->size, "the tap never sees more than the input");
	check(memcmp(buf, t->data + t->seen, len) == 0, "the tap sees the input in order");
	t->seen += len;
}

struct outcome {
	int rc;
	char code[48];
	uint64_t entries, bytes;
};

static int documented(const char *code)
{
	static const char *const codes[] = { "truncated", "crc", "corrupt", "format", "empty",
					     "trailing_garbage", "limit", "oom" };
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

/* All of the current entry's data; -1 on an error. */
static int read_data(struct arc_reader *r, const struct arc_entry *ent, struct srerr *e)
{
	const void *buf;
	size_t len;
	uint64_t n = 0;
	int rc;

	while ((rc = arc_data(r, &buf, &len, e)) == 1) {
		check(len > 0 && buf != NULL, "a data block is not empty");
		n += len;
	}
	if (rc == 0 && ent->type == ARC_FILE && ent->size >= 0)
		check(n == (uint64_t)ent->size, "a verified file has its header's size");
	return rc;
}

static struct outcome read_all(const uint8_t *data, size_t size)
{
	static const struct arc_limits lim = { 16u << 20, 4096, 1000 };
	struct tap t = { data, size, 0 };
	struct outcome o = { 0, "", 0, 0 };
	struct srerr e;
	struct arc_entry ent;
	struct arc_reader *r = arc_open_mem(data, size, "fuzz", tap_fn, &t, &e);
	int rc = -1;

	if (r) {
		arc_set_limits(r, &lim);
		while ((rc = arc_next(r, &ent, &e)) == 1) {
			check(ent.path != NULL, "an entry has a path");
			(void)arc_unsafe_reason(&ent);
			if (read_data(r, &ent, &e) < 0) {
				rc = -1;
				break;
			}
		}
		if (rc == 0)
			rc = arc_check_trailer(r, &e);
		check(arc_raw_bytes(r) <= size && arc_file_size(r) == size, "byte counts");
		o.entries = arc_entries(r);
		o.bytes = arc_data_bytes(r);
		arc_close(r);
	}
	o.rc = rc;
	if (rc < 0) {
		check(documented(e.code), "the error code is documented");
		check(e.msg[0] != '\0', "the error has a message");
		snprintf(o.code, sizeof(o.code), "%s", e.code);
	} else {
		check(t.seen == size, "a verified archive was tapped whole");
		check(o.entries > 0, "a verified archive has entries");
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a = read_all(data, size), b = read_all(data, size);

	check(a.rc == b.rc && !strcmp(a.code, b.code) && a.entries == b.entries &&
	      a.bytes == b.bytes, "reading twice gives the same outcome");
	return 0;
}
