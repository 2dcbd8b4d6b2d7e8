// SPDX-License-Identifier: GPL-2.0-only
#include <math.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->in_object[0] = false;
	j->after_key = false;
	j->error = false;
}

/* Separator before a value or key at the current level. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open_level(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	j->first[++j->depth] = true;
	j->in_object[j->depth] = c == '{';
}

static void close_level(struct json *j, char c)
{
	if (j->depth == 0 || j->after_key || j->in_object[j->depth] != (c == '}')) {
		j->error = true;
		return;
	}
	j->depth--;
	fputc(c, j->f);
}

void json_begin_object(struct json *j) { open_level(j, '{'); }
void json_end_object(struct json *j) { close_level(j, '}'); }
void json_begin_array(struct json *j) { open_level(j, '['); }
void json_end_array(struct json *j) { close_level(j, ']'); }

static void write_escaped(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	if (j->after_key || !j->in_object[j->depth])
		j->error = true;
	sep(j);
	write_escaped(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	sep(j);
	write_escaped(j->f, s);
}

void json_u64(struct json *j, uint64_t v) { sep(j); fprintf(j->f, "%llu", (unsigned long long)v); }
void json_i64(struct json *j, int64_t v) { sep(j); fprintf(j->f, "%lld", (long long)v); }
void json_bool(struct json *j, bool v) { sep(j); fputs(v ? "true" : "false", j->f); }
void json_null(struct json *j) { sep(j); fputs("null", j->f); }

void json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	sep(j);
	fprintf(j->f, "%.10g", v);
}

void json_kv_string(struct json *j, const char *k, const char *v) { json_key(j, k); json_string(j, v); }
void json_kv_u64(struct json *j, const char *k, uint64_t v) { json_key(j, k); json_u64(j, v); }
void json_kv_i64(struct json *j, const char *k, int64_t v) { json_key(j, k); json_i64(j, v); }
void json_kv_double(struct json *j, const char *k, double v) { json_key(j, k); json_double(j, v); }
void json_kv_bool(struct json *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

bool json_ok(struct json *j)
{
	return !j->error && j->depth == 0 && !j->after_key && !ferror(j->f);
}
