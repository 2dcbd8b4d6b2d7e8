/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser of the patched kernel's exit_reasons debugfs table. */
#ifndef EXITBENCH_DEBUGFS_TABLE_H
#define EXITBENCH_DEBUGFS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "reasons.h"

#define EXIT_TABLE_MAX_ROWS 300

struct exit_table_row {
	int64_t reason;		/* hardware value; -1 for '-' rows */
	char name[64];
	uint64_t count, cycles;
};

struct exit_table {
	enum vendor vendor;
	int nrows;
	struct exit_table_row rows[EXIT_TABLE_MAX_ROWS];
	uint64_t total;		/* sum of count */
};

/* Parse @text; 0, or -1 with what is wrong (line number) in @why. */
int exit_table_parse(const char *text, struct exit_table *t, char *why, size_t len);
/* Read and parse @path. */
int exit_table_read(const char *path, struct exit_table *t, char *why, size_t len);
/* The row of hardware reason @code, or NULL. */
const struct exit_table_row *exit_table_row(const struct exit_table *t, uint32_t code);
/* Count of hardware reason @code; 0 when the table has no row for it. */
uint64_t exit_table_count(const struct exit_table *t, uint32_t code);

#endif
