// SPDX-License-Identifier: GPL-2.0-only
/* Parsers for course-kernel interfaces (lib/course_parse.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "course_parse.h"

/* Is p[0] the start of a number standing on its own (not inside a word)? */
static bool number_start(const char *line, const char *p)
{
	return isdigit((unsigned char)*p) &&
	       (p == line || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'));
}

/* A number at @p (0x-hex or decimal) that ends at a non-word character. */
static bool read_number(const char *p, uint64_t *v, const char **end)
{
	char *e;
	int base = (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) ? 16 : 10;

	errno = 0;
	*v = strtoull(p, &e, base);
	if (errno || e == p || isalnum((unsigned char)*e) || *e == '_')
		return false;
	*end = e;
	return true;
}

static const char *const stop_words[] = {
	"occurred", "occured", "count", "counts", "times", "exits", "exit", "seen",
	"happened", "has", "was", "is", "for", "reason", "number", "nr", NULL,
};

static bool stop_word(const char *w, size_t n)
{
	int i;

	for (i = 0; stop_words[i]; i++)
		if (strlen(stop_words[i]) == n && !strncasecmp(w, stop_words[i], n))
			return true;
	return false;
}

/* The name printed after the reason, between @p and @lim; "" when none. */
static void find_name(const char *p, const char *lim, char *name, size_t len)
{
	name[0] = 0;
	while (p < lim) {
		const char *w;
		size_t n;

		if (*p == '(' || *p == '[' || *p == '<') {
			char close = *p == '(' ? ')' : *p == '[' ? ']' : '>';
			const char *e = memchr(p + 1, close, lim - p - 1);

			if (e) {
				snprintf(name, len, "%.*s", (int)(e - p - 1), p + 1);
				return;
			}
		}
		if (!(isalpha((unsigned char)*p) || *p == '_')) {
			p++;
			continue;
		}
		w = p;
		while (p < lim && (isalnum((unsigned char)*p) || *p == '_'))
			p++;
		n = p - w;
		if (p < lim && *p == '=') {
			/* key=value: only name= holds the name */
			if (n == 4 && !strncasecmp(w, "name", 4)) {
				const char *v = ++p;

				while (p < lim && (isalnum((unsigned char)*p) || *p == '_'))
					p++;
				snprintf(name, len, "%.*s", (int)(p - v), v);
				return;
			}
			p++;
			continue;
		}
		if (!stop_word(w, n)) {
			snprintf(name, len, "%.*s", (int)n, w);
			return;
		}
	}
}

int kmsg_dump_parse_line(const char *msg, uint32_t *reason, uint64_t *count,
			 char *name, size_t len)
{
	const char *p = strcasestr(msg, "exit"), *r_end, *c_start = NULL, *q, *e;
	uint64_t r, v;

	if (!p || strcasestr(msg, "exit_stats") || strcasestr(msg, "total"))
		return -1;
	for (p += 4; *p && !number_start(msg, p); p++)
		;
	if (!*p || !read_number(p, &r, &r_end) || r > 0xFFFF)
		return -1;
	/* The count: the last number on the line, outside brackets. */
	for (q = r_end; *q; q++) {
		if (*q == '(' || *q == '[') {
			const char *c = strchr(q, *q == '(' ? ')' : ']');

			if (c) {
				q = c;
				continue;
			}
		}
		if (number_start(msg, q) && read_number(q, &v, &e) && !(q[0] == '0' && (q[1] | 32) == 'x')) {
			c_start = q;
			*count = v;
			q = e - 1;
		}
	}
	if (!c_start)
		return -1;
	*reason = (uint32_t)r;
	find_name(r_end, c_start, name, len);
	return 0;
}

void dump_parser_init(struct dump_parser *d, enum vendor v)
{
	memset(d, 0, sizeof(*d));
	d->vendor = v;
}

static void dump_end(struct dump_parser *d)
{
	if (!d->cur.lines)
		return;
	d->last = d->cur;
	d->dumps++;
	memset(&d->cur, 0, sizeof(d->cur));
}

void dump_parser_line(struct dump_parser *d, const char *msg)
{
	char name[32];
	uint32_t reason;
	uint64_t count;
	int b;

	if (kmsg_dump_parse_line(msg, &reason, &count, name, sizeof(name))) {
		dump_end(d);
		return;
	}
	if (d->cur.lines && reason <= d->cur_last_reason)
		dump_end(d);
	d->cur_last_reason = reason;
	d->cur.lines++;
	b = exit_bucket(d->vendor, reason);
	if (b < 0 || b == EXIT_BUCKET_UNKNOWN) {
		d->bad++;
		return;
	}
	d->cur.buckets[b] += count;
	d->cur.total += count;
	if (name[0] && d->cur.n_names < 64) {
		d->cur.names[d->cur.n_names].code = reason;
		snprintf(d->cur.names[d->cur.n_names].name, sizeof(d->cur.names[0].name), "%s", name);
		d->cur.n_names++;
	}
}

void dump_parser_flush(struct dump_parser *d)
{
	dump_end(d);
}

int counter_file_format_parse(const char *s, enum counter_file_format *f)
{
	if (!strcmp(s, "pairs"))
		*f = FILE_PAIRS;
	else if (!strcmp(s, "array"))
		*f = FILE_ARRAY;
	else if (!strcmp(s, "kmsg"))
		*f = FILE_KMSG;
	else
		return -1;
	return 0;
}

static int add_count(struct exit_dump *dump, enum vendor v, uint64_t reason, uint64_t count,
		     const char *name, int line, char *why, size_t len)
{
	int b = reason > 0xFFFF ? -1 : exit_bucket(v, (uint32_t)reason);

	if (b < 0 || b == EXIT_BUCKET_UNKNOWN) {
		if (!count)
			return 0;	/* an array's unused slot */
		snprintf(why, len, "line %d: reason %" PRIu64 " is not a %s exit reason", line,
			 reason, vendor_name(v));
		return -1;
	}
	dump->buckets[b] += count;
	dump->total += count;
	dump->lines++;
	if (name && name[0] && dump->n_names < 64) {
		dump->names[dump->n_names].code = (uint32_t)reason;
		snprintf(dump->names[dump->n_names].name, sizeof(dump->names[0].name), "%s", name);
		dump->n_names++;
	}
	return 0;
}

int counter_file_parse(const char *text, enum counter_file_format f, enum vendor v,
		       struct exit_dump *dump, char *why, size_t len)
{
	struct dump_parser dp;
	const char *p = text;
	int line = 0, index = 0;

	memset(dump, 0, sizeof(*dump));
	dump_parser_init(&dp, v);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512], *s, *e, name[32] = "";
		uint64_t reason, count;

		line++;
		snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), p);
		p += n + (nl ? 1 : 0);
		if (f == FILE_KMSG) {
			dump_parser_line(&dp, buf);
			continue;
		}
		s = strchr(buf, '#');
		if (s)
			*s = 0;
		for (s = buf; isspace((unsigned char)*s); s++)
			;
		if (!*s)
			continue;
		errno = 0;
		if (f == FILE_ARRAY) {
			count = strtoull(s, &e, 10);
			if (errno || e == s || *s == '-' || strspn(e, " \t\r") != strlen(e)) {
				snprintf(why, len, "line %d: '%s' is not a count (format array: one count a line)",
					 line, s);
				return -1;
			}
			if (add_count(dump, v, index++, count, NULL, line, why, len))
				return -1;
			continue;
		}
		reason = strtoull(s, &e, 0);
		if (errno || e == s || *s == '-')
			goto bad_pair;
		s = e + strspn(e, " \t:=,");
		count = strtoull(s, &e, 10);
		if (errno || e == s || *s == '-' || !(isspace((unsigned char)*e) || !*e || *e == ','))
			goto bad_pair;
		s = e + strspn(e, " \t,");
		sscanf(s, "%31[A-Za-z0-9_]", name);
		if (add_count(dump, v, reason, count, name, line, why, len))
			return -1;
		continue;
bad_pair:
		snprintf(why, len, "line %d: '%s' is not 'REASON COUNT [NAME]' (format pairs)", line, buf);
		return -1;
	}
	if (f == FILE_KMSG) {
		dump_parser_flush(&dp);
		if (!dp.dumps) {
			snprintf(why, len, "no exit dump lines (format kmsg: 'KVM Exit: REASON (NAME) occurred COUNT times')");
			return -1;
		}
		*dump = dp.last;
	}
	return 0;
}

static const char *const layout_names[] = {
	[LAYOUT_NONE] = "none",
	[LAYOUT_A] = "order A (0x4FFFFFFF total exits, 0x4FFFFFFE total cycles, 0x4FFFFFFD exits of reason ECX, 0x4FFFFFFC cycles of reason ECX)",
	[LAYOUT_B] = "order B (0x4FFFFFFC total exits, 0x4FFFFFFD total cycles, 0x4FFFFFFE exits of reason ECX, 0x4FFFFFFF cycles of reason ECX)",
	[LAYOUT_TWO_LEAF] = "two-leaf (0x4FFFFFFF EAX total exits, EBX:ECX total cycles; 0x4FFFFFFE EAX exits of reason ECX)",
};

const char *course_layout_name(enum course_layout l)
{
	return layout_names[l];
}

/* A read is 2 exits (its CPUID and its report's I/O); allow some interrupts. */
#define READ_EXITS 2
#define MAX_INTERRUPTS 8
/* Any cycles figure of an exit is far above a handful of exits. */
#define MIN_CYCLES 64

enum role { ROLE_UNUSED, ROLE_TOTAL, ROLE_PER_REASON, ROLE_CYCLES, ROLE_OTHER };

static enum role leaf_role(const struct leaf_probe *p, int i)
{
	uint32_t c = p->rise_cpuid[i], d = p->rise_idle[i];

	if (c == 1 && d == 0)
		return ROLE_PER_REASON;
	if (c >= READ_EXITS && c <= READ_EXITS + MAX_INTERRUPTS &&
	    d >= READ_EXITS && d <= READ_EXITS + MAX_INTERRUPTS)
		return ROLE_TOTAL;
	if (c >= MIN_CYCLES)
		return ROLE_CYCLES;
	if (c == 0 && d == 0)
		return ROLE_UNUSED;
	return ROLE_OTHER;
}

enum course_layout course_layout_classify(const struct leaf_probe *p, char *why, size_t len)
{
	enum role r[4];
	int i;

	for (i = 0; i < 4; i++)
		r[i] = leaf_role(p, i);
	/* Index 0 is 0x4FFFFFFC, 3 is 0x4FFFFFFF. */
	if (r[3] == ROLE_TOTAL && r[1] == ROLE_PER_REASON)
		return LAYOUT_A;
	if (r[0] == ROLE_TOTAL && r[2] == ROLE_PER_REASON)
		return LAYOUT_B;
	if (r[3] == ROLE_TOTAL && r[2] == ROLE_PER_REASON && p->rise_ebx_ecx[3] >= MIN_CYCLES)
		return LAYOUT_TWO_LEAF;
	snprintf(why, len, "no known layout: EAX of leaves 0x4FFFFFFC-F rose by %u %u %u %u a read "
		 "(ECX = CPUID) and %u %u %u %u (ECX = a reason never taken); a per-reason exits leaf "
		 "rises by 1 and 0, a total exits leaf by %d and %d",
		 p->rise_cpuid[0], p->rise_cpuid[1], p->rise_cpuid[2], p->rise_cpuid[3],
		 p->rise_idle[0], p->rise_idle[1], p->rise_idle[2], p->rise_idle[3], READ_EXITS, READ_EXITS);
	return LAYOUT_NONE;
}
