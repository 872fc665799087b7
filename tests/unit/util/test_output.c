/*
 * Unit tests for the output module: aligned tables, JSON Lines, CSV, and
 * the sanitizing of hostile strings (terminal escapes, invalid UTF-8).
 */
#include "unit.h"

static const struct cp_out_col cols[] = {
	{ "pid", NULL, CP_COL_INT },
	{ "comm", NULL, CP_COL_STR },
	{ "addr", "ADDRESS", CP_COL_HEX },
};

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static struct cp_out *start(struct capture *c, enum cp_out_format fmt)
{
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	struct cp_out *out;
	assert_ok(cp_out_new(c->f, fmt, cols, 3, &out));
	return out;
}

static void emit(struct cp_out *out, int64_t pid, const char *comm,
		 uint64_t addr)
{
	cp_out_int(out, pid);
	cp_out_str(out, comm);
	cp_out_hex(out, addr);
	assert_ok(cp_out_row_end(out));
}

static char *finish(struct capture *c, struct cp_out *out)
{
	assert_ok(cp_out_finish(out));
	fclose(c->f);
	return c->buf;
}

static void test_table_aligns_columns(void **state)
{
	(void)state;
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_TABLE);
	emit(out, 1, "init", 0x1000);
	emit(out, 1234, "kworker/0:1", 0xffffffff81000000ull);
	_cleanup_free_ char *s = finish(&c, out);
	assert_string_equal(s,
			    " PID  COMM         ADDRESS\n"
			    "   1  init         0x1000\n"
			    "1234  kworker/0:1  0xffffffff81000000\n");
}

static void test_json_lines(void **state)
{
	(void)state;
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_JSON);
	emit(out, 1, "init", 0x1000);
	cp_out_int(out, 2);
	cp_out_null(out);
	cp_out_hex(out, UINT64_MAX);
	assert_ok(cp_out_row_end(out));
	_cleanup_free_ char *s = finish(&c, out);
	assert_string_equal(s,
			    "{\"pid\":1,\"comm\":\"init\",\"addr\":\"0x1000\"}\n"
			    "{\"pid\":2,\"comm\":null,\"addr\":"
			    "\"0xffffffffffffffff\"}\n");
}

static void test_csv_quotes(void **state)
{
	(void)state;
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_CSV);
	emit(out, 7, "a,\"b\"", 0);
	_cleanup_free_ char *s = finish(&c, out);
	assert_string_equal(s, "pid,comm,addr\n7,\"a,\"\"b\"\"\",0x0\n");
}

static void test_hostile_strings_are_escaped(void **state)
{
	(void)state;
	/* A process name with a terminal escape and an invalid byte. */
	const char evil[] = "x\x1b[2Jy\xff\\";
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_TABLE);
	emit(out, 1, evil, 0);
	_cleanup_free_ char *s = finish(&c, out);
	assert_null(strchr(s, '\x1b'));
	assert_non_null(strstr(s, "x\\x1b[2Jy\\xff\\x5c"));

	out = start(&c, CP_OUT_JSON);
	emit(out, 1, evil, 0);
	_cleanup_free_ char *j = finish(&c, out);
	/* Valid JSON: the escape is JSON-escaped, the bad byte spelled out. */
	assert_non_null(strstr(j, "\"x\\u001B[2Jy\\\\xff\\\\x5c\""));
}

static void test_valid_utf8_kept(void **state)
{
	(void)state;
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_JSON);
	emit(out, 1, "h\xc3\xa9llo", 0);
	_cleanup_free_ char *s = finish(&c, out);
	assert_non_null(strstr(s, "\"h\xc3\xa9llo\""));
}

static void test_incomplete_row_is_an_error(void **state)
{
	(void)state;
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_JSON);
	cp_out_int(out, 1);
	assert_error(cp_out_row_end(out), CP_ERR_USAGE);
	assert_ok(cp_out_finish(out));
	fclose(c.f);
	free(c.buf);
}

static void test_vertical_table(void **state)
{
	(void)state;
	struct capture c;
	struct cp_out *out = start(&c, CP_OUT_TABLE);
	cp_out_set_vertical(out);
	emit(out, 1, "init", 0x10);
	_cleanup_free_ char *s = finish(&c, out);
	assert_string_equal(s, "PID      1\nCOMM     init\nADDRESS  0x10\n");
}

static void test_format_parse(void **state)
{
	(void)state;
	enum cp_out_format f;
	assert_ok(cp_out_format_parse("csv", &f));
	assert_int_equal(f, CP_OUT_CSV);
	assert_error(cp_out_format_parse("xml", &f), CP_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_aligns_columns),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_csv_quotes),
		cmocka_unit_test(test_hostile_strings_are_escaped),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_incomplete_row_is_an_error),
		cmocka_unit_test(test_vertical_table),
		cmocka_unit_test(test_format_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
