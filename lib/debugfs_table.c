// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugfs_table.h"

/* A whole decimal number, as the kernel prints a u64. */
static int parse_decimal(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* "10" (VMX, decimal), "0x72" (SVM, hex), "-" (the UNKNOWN bucket). */
static int parse_reason(const char *s, int64_t *reason)
{
	unsigned long long v;
	char *end;

	if (!strcmp(s, "-")) {
		*reason = -1;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > 0xffffffffULL)
		return -1;
	*reason = (int64_t)v;
	return 0;
}

/*
 * The name is the rest of the line: SVM_EXIT_REASONS names the exception
 * exits with a space ("UD excp"). Each of its words starts with a letter,
 * '_' or is '-', so a sixth number is an error, not a name.
 */
int exit_table_parse_row(const char *line, struct exit_table_row *row)
{
	char copy[256], *tok[16], *save;
	uint64_t *nums[4] = { &row->count, &row->cycles, &row->l2_count, &row->l2_cycles };
	size_t used = 0;
	int n = 0, i;

	if (strlen(line) >= sizeof(copy))
		return -1;
	memset(row, 0, sizeof(*row));
	snprintf(copy, sizeof(copy), "%s", line);
	tok[0] = strtok_r(copy, " \t", &save);
	while (tok[n] && n < 15)
		tok[++n] = strtok_r(NULL, " \t", &save);
	if (n < 6 || n == 15 || parse_reason(tok[0], &row->reason))
		return -1;
	for (i = 0; i < 4; i++)
		if (parse_decimal(tok[i + 1], nums[i]))
			return -1;
	if (row->l2_count > row->count)
		return -1;
	for (i = 5; i < n; i++) {
		if (!isalpha((unsigned char)tok[i][0]) && tok[i][0] != '_' && strcmp(tok[i], "-"))
			return -1;
		used += snprintf(row->name + used, sizeof(row->name) - used, "%s%s",
				 i > 5 ? " " : "", tok[i]);
		if (used >= sizeof(row->name))
			return -1;
	}
	return 0;
}

/* Why exit_table_parse_row() refused @line: the first field at fault. */
static void row_error(const char *line, int lineno, char *why, size_t len)
{
	static const char *const field[] = { "count", "cycles", "l2_count", "l2_cycles" };
	char copy[256], *tok[7] = { NULL }, *save;
	uint64_t v;
	int64_t reason;
	int n = 0, i;

	snprintf(copy, sizeof(copy), "%s", line);
	tok[0] = strtok_r(copy, " \t", &save);
	while (tok[n] && n < 6)
		tok[++n] = strtok_r(NULL, " \t", &save);
	if (n < 6) {	/* too few fields: say what a row holds */
		snprintf(why, len, "line %d: expected 'reason count cycles l2_count l2_cycles name', got '%s'",
			 lineno, line);
		return;
	}
	if (parse_reason(tok[0], &reason)) {
		snprintf(why, len, "line %d: reason '%s' is not an exit reason (a VMX number, an SVM 0x code "
			 "up to 0xffffffff, or '-'), in '%s'", lineno, tok[0], line);
		return;
	}
	for (i = 0; i < 4 && tok[i + 1]; i++) {
		if (parse_decimal(tok[i + 1], &v)) {
			snprintf(why, len, "line %d: %s '%s' is not a whole number from 0 to 2^64-1, in '%s'",
				 lineno, field[i], tok[i + 1], line);
			return;
		}
	}
	snprintf(why, len, "line %d: expected 'reason count cycles l2_count l2_cycles name', got '%s'",
		 lineno, line);
}

int exit_table_parse(const char *text, struct exit_table *t, char *why, size_t len)
{
	const char *line = text;
	int lineno = 0;

	memset(t, 0, sizeof(*t));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256], v[16], extra[2];
		struct exit_table_row *row;

		lineno++;
		if (n >= sizeof(buf)) {
			snprintf(why, len, "line %d: too long", lineno);
			return -1;
		}
		memcpy(buf, line, n);
		buf[n] = 0;
		line = nl ? nl + 1 : NULL;
		if (lineno == 1) {
			if (sscanf(buf, "# vendor %15s %1s", v, extra) != 1 || vendor_from_name(v, &t->vendor) ||
			    t->vendor == VENDOR_OTHER) {
				snprintf(why, len, "line 1: expected '# vendor vmx|svm', got '%s'", buf);
				return -1;
			}
			continue;
		}
		if (lineno == 2) {
			if (strcmp(buf, EXIT_TABLE_HEADER)) {
				snprintf(why, len, "line 2: expected '%s', got '%s'%s", EXIT_TABLE_HEADER, buf,
					 !strcmp(buf, "# reason name count cycles") ?
					 " (the table of an older kernel/patches: rebuild the kernel)" : "");
				return -1;
			}
			continue;
		}
		if (!n || buf[0] == '#')
			continue;
		if (t->nrows == EXIT_TABLE_MAX_ROWS) {
			snprintf(why, len, "line %d: more than %d rows", lineno, EXIT_TABLE_MAX_ROWS);
			return -1;
		}
		row = &t->rows[t->nrows];
		if (exit_table_parse_row(buf, row)) {
			row_error(buf, lineno, why, len);
			return -1;
		}
		t->nrows++;
		t->total += row->count;
		t->l2_total += row->l2_count;
	}
	if (lineno < 2) {
		snprintf(why, len, "%s table (no '# vendor' and header lines)", lineno ? "truncated" : "empty");
		return -1;
	}
	return 0;
}

int exit_table_read(const char *path, struct exit_table *t, char *why, size_t len)
{
	static char text[64 * 1024];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(why, len, "cannot open %s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (not a patched kernel, or debugfs not mounted on /sys/kernel/debug)" : "");
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	if (exit_table_parse(text, t, why, len)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", why);
		snprintf(why, len, "%s: %s", path, msg);
		return -1;
	}
	return 0;
}

const struct exit_table_row *exit_table_row(const struct exit_table *t, uint32_t code)
{
	int i;

	for (i = 0; i < t->nrows; i++)
		if (t->rows[i].reason == (int64_t)code)
			return &t->rows[i];
	return NULL;
}

uint64_t exit_table_count(const struct exit_table *t, uint32_t code)
{
	const struct exit_table_row *row = exit_table_row(t, code);

	return row ? row->count : 0;
}

int exit_table_row_bucket(enum vendor v, const struct exit_table_row *row)
{
	return row->reason >= 0 ? exit_bucket(v, (uint32_t)row->reason) : EXIT_BUCKET_UNKNOWN;
}
