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
static int parse_decimal(const char *s, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/*
 * SVM_EXIT_REASONS names the exception exits with a space ("UD excp"), so
 * such a row has five fields: the reason, a name of several words, count,
 * cycles. Every word of a kernel name starts with a letter, which keeps
 * "10 CPUID 12 3 4" an error.
 */
static int parse_multiword_row(const char *buf, char *reason, size_t rlen, char *name,
			       size_t nlen, unsigned long long *count, unsigned long long *cycles)
{
	char copy[256], *tok[16], *save;
	size_t used = 0;
	int n = 0, i;

	snprintf(copy, sizeof(copy), "%s", buf);
	tok[0] = strtok_r(copy, " \t", &save);
	while (tok[n] && n < 15)
		tok[++n] = strtok_r(NULL, " \t", &save);
	if (n < 5 || n == 15 || strlen(tok[0]) >= rlen ||
	    parse_decimal(tok[n - 2], count) || parse_decimal(tok[n - 1], cycles))
		return -1;
	snprintf(reason, rlen, "%s", tok[0]);
	name[0] = 0;
	for (i = 1; i < n - 2; i++) {
		if (!isalpha((unsigned char)tok[i][0]) && tok[i][0] != '_')
			return -1;
		used += snprintf(name + used, nlen - used, "%s%s", i > 1 ? " " : "", tok[i]);
		if (used >= nlen)
			return -1;
	}
	return 0;
}

int exit_table_parse(const char *text, struct exit_table *t, char *why, size_t len)
{
	const char *line = text;
	int lineno = 0;
	bool vendor_seen = false;

	memset(t, 0, sizeof(*t));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256], reason[32], name[64], extra[2];
		unsigned long long count, cycles;
		struct exit_table_row *row;
		char *end;

		lineno++;
		if (n >= sizeof(buf)) {
			snprintf(why, len, "line %d: too long", lineno);
			return -1;
		}
		memcpy(buf, line, n);
		buf[n] = 0;
		line = nl ? nl + 1 : NULL;
		if (!n)
			continue;
		if (lineno == 1) {
			char v[16];

			if (sscanf(buf, "# vendor %15s %1s", v, extra) != 1 || vendor_from_name(v, &t->vendor) ||
			    t->vendor == VENDOR_OTHER) {
				snprintf(why, len, "line 1: expected '# vendor vmx|svm', got '%s'", buf);
				return -1;
			}
			vendor_seen = true;
			continue;
		}
		if (buf[0] == '#')
			continue;
		if (sscanf(buf, "%31s %63s %llu %llu %1s", reason, name, &count, &cycles, extra) != 4 &&
		    parse_multiword_row(buf, reason, sizeof(reason), name, sizeof(name), &count, &cycles)) {
			snprintf(why, len, "line %d: expected 'reason name count cycles', got '%s'", lineno, buf);
			return -1;
		}
		if (t->nrows == EXIT_TABLE_MAX_ROWS) {
			snprintf(why, len, "line %d: more than %d rows", lineno, EXIT_TABLE_MAX_ROWS);
			return -1;
		}
		row = &t->rows[t->nrows++];
		if (!strcmp(reason, "-")) {
			row->reason = -1;
		} else {
			errno = 0;
			row->reason = (int64_t)strtoull(reason, &end, 0);
			if (errno || *end) {
				snprintf(why, len, "line %d: bad reason '%s'", lineno, reason);
				return -1;
			}
		}
		snprintf(row->name, sizeof(row->name), "%s", name);
		row->count = count;
		row->cycles = cycles;
		t->total += count;
	}
	if (!vendor_seen) {
		snprintf(why, len, "empty table (no '# vendor' line)");
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
