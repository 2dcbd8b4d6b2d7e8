/* SPDX-License-Identifier: GPL-2.0-only */
/* A small streaming JSON writer: objects, arrays, strings, numbers, null. */
#ifndef EXITBENCH_JSON_H
#define EXITBENCH_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool in_object[JSON_MAX_DEPTH];
	bool after_key;
	bool error;	/* misuse (nesting, key outside an object) */
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);	/* NULL writes null */
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);		/* NaN/inf write null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Key + value shorthands. */
void json_kv_string(struct json *j, const char *k, const char *v);
void json_kv_u64(struct json *j, const char *k, uint64_t v);
void json_kv_i64(struct json *j, const char *k, int64_t v);
void json_kv_double(struct json *j, const char *k, double v);
void json_kv_bool(struct json *j, const char *k, bool v);
/* true when the document is complete and no misuse or I/O error happened. */
bool json_ok(struct json *j);

#endif
