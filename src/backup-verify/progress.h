#ifndef BV_PROGRESS_H
#define BV_PROGRESS_H
/*
 * The progress line on standard error while a backup is read:
 *	db.tar.zst: 1.2 GiB of 4.0 GiB (30%), 310.5 MiB/s, ETA 0:09
 * rewritten in place with "\r" at most every BV_PROGRESS_INTERVAL_MS, and cleared
 * (on a terminal) or ended with a newline (otherwise) when the backup is done.
 * Bytes are the backup's own bytes read so far (compressed, for an archive) against
 * its size, so the rate and the ETA follow the disk, not the decompressor.
 *
 * Shown when enabled: by --progress always, with -q never, and otherwise when
 * standard error is a terminal and the backup is larger than 64 MiB
 * (bv_progress_wanted decides).
 */
#include <stdint.h>
#include <stdio.h>

#include "settings.h"

#define BV_PROGRESS_INTERVAL_MS 200

struct bv_progress {
	FILE *fp;              /* NULL: disabled */
	int tty;               /* clear the line at the end instead of ending it */
	const char *label;     /* borrowed */
	uint64_t total;        /* 0: unknown (no percentage, no ETA) */
	uint64_t done;
	int64_t start_ns, last_ns;
	size_t last_len;       /* characters of the last line, to blank a shorter one */
	int shown;
};

/* Whether to show progress for a backup of total bytes, given the setting and
   whether stderr is a terminal. */
int bv_progress_wanted(enum bv_progress_mode mode, int stderr_tty, uint64_t total);

/* Set p up for one backup; fp NULL disables it (every other call does nothing). */
void bv_progress_start(struct bv_progress *p, FILE *fp, int tty, const char *label,
		       uint64_t total);

/* done bytes of total so far; prints when the interval has passed. */
void bv_progress_update(struct bv_progress *p, uint64_t done);

/* The backup is done: clear the line (terminal), or print the final state and a
   newline (otherwise, so that a log shows one line per backup). */
void bv_progress_end(struct bv_progress *p);

/* Format the line for done of total after elapsed_ns into buf (exposed for tests). */
void bv_progress_format(char *buf, size_t size, const char *label, uint64_t done,
			uint64_t total, int64_t elapsed_ns);

/* A byte count for people: "512 B", "1.5 KiB", "310.5 MiB", "4.0 GiB". */
void bv_human_bytes(char *buf, size_t size, double bytes);

#endif
