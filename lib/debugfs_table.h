/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser of the patched kernel's exit_reasons debugfs tables. */
#ifndef EXITBENCH_DEBUGFS_TABLE_H
#define EXITBENCH_DEBUGFS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "reasons.h"

#define EXIT_TABLE_MAX_ROWS 300
/* Line 2 of a table: the fields of every row that follows. */
#define EXIT_TABLE_HEADER "# reason count cycles l2_count l2_cycles name"

struct exit_table_row {
	int64_t reason;		/* hardware value; -1 for the '-' row (UNKNOWN) */
	char name[64];
	uint64_t count, cycles;		/* exits of L1 and L2 */
	uint64_t l2_count, l2_cycles;	/* those taken while L2 ran */
};

struct exit_table {
	enum vendor vendor;
	int nrows;
	struct exit_table_row rows[EXIT_TABLE_MAX_ROWS];
	uint64_t total, l2_total;	/* sums of count, l2_count */
};

/* Parse @text; 0, or -1 with what is wrong (line number) in @why. */
int exit_table_parse(const char *text, struct exit_table *t, char *why, size_t len);
/*
 * Parse one row, "<reason> <count> <cycles> <l2_count> <l2_cycles> <name>"
 * (also the kernel log summaries' lines after their prefix); 0 or -1.
 */
int exit_table_parse_row(const char *line, struct exit_table_row *row);
/* Read and parse @path. */
int exit_table_read(const char *path, struct exit_table *t, char *why, size_t len);
/* The row of hardware reason @code, or NULL. */
const struct exit_table_row *exit_table_row(const struct exit_table *t, uint32_t code);
/* Count of hardware reason @code; 0 when the table has no row for it. */
uint64_t exit_table_count(const struct exit_table *t, uint32_t code);
/* The bucket (exit_bucket()) a row counts in. */
int exit_table_row_bucket(enum vendor v, const struct exit_table_row *row);

#endif
