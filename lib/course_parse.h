/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsers for the interfaces of course-patched kernels (no KVM needed, so
 * tests/unit checks them): the exit dumps such kernels print to the kernel
 * log, user-named counter files, and the classification of the CPUID-leaf
 * layout from probe readings. The sources that use them are
 * lib/counter_kmsg_dump.c, lib/counter_file.c and lib/counter_course_cpuid.c;
 * docs/check_kernel.md describes the formats.
 */
#ifndef EXITBENCH_COURSE_PARSE_H
#define EXITBENCH_COURSE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasons.h"

/*
 * One line of a dump, e.g. "KVM Exit: 10 (CPUID) occurred 1234 times" (and
 * variants: "exit reason 10 [CPUID]: 1234", "exit_reason=10 name=CPUID
 * count=1234"): the first number after the word "exit" is the reason, the
 * last number on the line is the count, the name is what is in brackets
 * (or an upper-case word between the two numbers; "" when none). Lines
 * about totals and the project's own "exit_stats:" summaries are not dump
 * lines. 0, or -1 when @msg is not a dump line.
 */
int kmsg_dump_parse_line(const char *msg, uint32_t *reason, uint64_t *count,
			 char *name, size_t len);

/* A dump: every reason's count at one moment, and the names printed. */
struct exit_dump {
	uint64_t buckets[EXIT_BUCKETS];
	uint64_t total;
	int lines;
	int n_names;
	struct {
		uint32_t code;
		char name[32];
	} names[64];
};

/*
 * Lines in, complete dumps out. A dump is a run of dump lines in rising
 * reason order (every non-zero reason, printed in one go): a line whose
 * reason is not above the previous one's, or a line of anything else,
 * ends it. @vendor maps reason numbers to buckets.
 */
struct dump_parser {
	enum vendor vendor;
	struct exit_dump cur, last;
	uint32_t cur_last_reason;
	uint64_t dumps;		/* complete dumps so far */
	uint64_t bad;		/* reasons with no bucket (ignored) */
};

void dump_parser_init(struct dump_parser *d, enum vendor v);
void dump_parser_line(struct dump_parser *d, const char *msg);
/* No more lines for now (the log was read to its end): end the dump open. */
void dump_parser_flush(struct dump_parser *d);

/* Formats of --counters file:PATH:FORMAT. */
enum counter_file_format {
	FILE_PAIRS,	/* "REASON COUNT [NAME]" lines ('#' comments; ':' '=' ',' separate too) */
	FILE_ARRAY,	/* one count per line, line i (from 0) is reason i */
	FILE_KMSG,	/* dump lines as a kernel log has them: the last dump */
};

/* "pairs", "array", "kmsg": 0, or -1. */
int counter_file_format_parse(const char *s, enum counter_file_format *f);
/*
 * Parse @text (a whole file) into @dump; 0, or -1 with why in @why
 * (the line that does not parse).
 */
int counter_file_parse(const char *text, enum counter_file_format f, enum vendor v,
		       struct exit_dump *dump, char *why, size_t len);

/*
 * CPUID-leaf layouts of course kernels (leaves 0x4FFFFFFC-0x4FFFFFFF).
 * A: 0x4FFFFFFF total exits, 0x4FFFFFFE total cycles, 0x4FFFFFFD exits of
 *    reason ECX, 0x4FFFFFFC cycles of reason ECX.
 * B: the same roles from 0x4FFFFFFC up (total exits, total cycles,
 *    per-reason exits, per-reason cycles).
 * TWO_LEAF: 0x4FFFFFFF EAX total exits, EBX:ECX total cycles; 0x4FFFFFFE
 *    EAX exits of reason ECX.
 */
enum course_layout {
	LAYOUT_NONE,
	LAYOUT_A,
	LAYOUT_B,
	LAYOUT_TWO_LEAF,
};

const char *course_layout_name(enum course_layout l);

/*
 * What the probe saw of leaf 0x4FFFFFFC + i (i 0-3) over reads made back to
 * back by one reader, each read being one CPUID exit and one I/O exit (its
 * report): how much EAX rose from one read to the next, with ECX the CPUID
 * reason (rise_cpuid), with ECX a reason the reader never takes (rise_idle),
 * and how much EBX:ECX rose (rise_ebx_ecx, for the two-leaf layout).
 */
struct leaf_probe {
	uint32_t rise_cpuid[4], rise_idle[4];
	uint64_t rise_ebx_ecx[4];
};

/*
 * Which layout the rises fit: the per-reason exits leaf rises by exactly 1
 * per read with ECX = CPUID and 0 with an idle reason; the total exits leaf
 * by the read's 2 exits (a few more when host interrupts came); a cycles
 * leaf by far more. LAYOUT_NONE with why in @why when none fits.
 */
enum course_layout course_layout_classify(const struct leaf_probe *p, char *why, size_t len);

#endif
