/*
 * Unit tests for ISF export and import (isf_export.c, isf_import.c) and the
 * System.map reader (isf.c): the fixture BTF of btf_fixture.h is written as
 * ISF, checked for the shape Volatility 3 reads (and against the schema in
 * ../shared/isf when it and python3-jsonschema are there), read back, and
 * every field must land at the same offset; broken, hostile and
 * dwarf2json-style files are read.
 */
#include <jansson.h>
#include <bpf/btf.h>
#include <sys/wait.h>

#include "btf_fixture.h"
#include "kernel/btf.h"
#include "kernel/isf.h"
#include "kernel/isf_internal.h"

#define SHIFT 0x2b200000ull
#define TEXT_LINK 0xffffffff81000000ull

static const char banner[] =
	"Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org) "
	"(gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils "
	"for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 "
	"(2026-11-26)";

/* Runtime (KASLR-shifted) symbols as kallsyms lists them. */
static const struct cp_isf_symbol syms[] = {
	{ "_text", TEXT_LINK + SHIFT, 'T' },
	{ "linux_banner", 0xffffffff82120000ull + SHIFT, 'D' },
	{ "init_task", 0xffffffff82a1aa40ull + SHIFT, 'D' },
	{ "modules", 0xffffffff82b00000ull + SHIFT, 'd' },
	/* a local and a global of one name: the global wins */
	{ "dup_name", 0xffffffff81001000ull + SHIFT, 't' },
	{ "dup_name", 0xffffffff81002000ull + SHIFT, 'T' },
	/* per-CPU offsets do not move with KASLR */
	{ "fixed_percpu_data", 0x0, 'A' },
	{ "runqueues", 0x2f000, 'D' },
	{ "weird\x01name\xff", 0xffffffff81003000ull + SHIFT, 't' },
};

static char *export_text(const struct btf *b, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	struct cp_isf_export_opts o = {
		.banner = banner, .kaslr_shift = SHIFT, .datetime = -1
	};
	assert_non_null(f);
	assert_ok(cp_isf_export(f, b, syms, CP_ARRAY_SIZE(syms), &o));
	fclose(f);
	return text;
}

static json_t *at(json_t *root, const char *a, const char *b,
		  const char *c)
{
	json_t *v = json_object_get(json_object_get(root, a), b);
	v = c ? json_object_get(v, c) : v;
	if (!v)
		fail_msg("no %s.%s.%s", a, b, c ? c : "");
	return v;
}

static void test_export_shape(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	size_t len;
	char *text = export_text(b, &len);
	json_error_t jerr;
	/* jansson refuses integers above INT64_MAX: read as reals here */
	json_t *root = json_loadb(text, len,
				  JSON_REJECT_DUPLICATES |
					  JSON_DECODE_INT_AS_REAL,
				  &jerr);
	if (!root)
		fail_msg("export is not JSON: %s at line %d", jerr.text,
			 jerr.line);
	assert_string_equal(
		json_string_value(at(root, "metadata", "format", NULL)),
		"6.2.0");
	assert_string_equal(json_string_value(json_object_get(
				    at(root, "metadata", "producer", NULL),
				    "name")),
			    "cloudprobe");
	assert_string_equal(json_string_value(at(root, "base_types", "void",
						 "kind")),
			    "void");
	assert_int_equal(json_number_value(at(root, "base_types", "pointer",
					      "size")),
			 8);
	assert_true(json_is_true(at(root, "base_types", "int", "signed")));
	assert_string_equal(json_string_value(at(root, "base_types", "char",
						 "kind")),
			    "char");
	json_t *task = at(root, "user_types", "task_struct", "fields");
	assert_int_equal(json_number_value(json_object_get(
				 json_object_get(task, "comm"), "offset")),
			 32);
	/* typedef and qualifiers resolved: flags is a plain base type */
	json_t *flags = json_object_get(json_object_get(task, "flags"), "type");
	assert_string_equal(json_string_value(json_object_get(flags, "kind")),
			    "base");
	assert_string_equal(json_string_value(json_object_get(flags, "name")),
			    "unsigned int");
	/* bitfield: storage unit offset, bit position within it */
	json_t *iow = json_object_get(task, "in_iowait");
	json_t *bf = json_object_get(iow, "type");
	assert_string_equal(json_string_value(json_object_get(bf, "kind")),
			    "bitfield");
	assert_int_equal(json_number_value(json_object_get(iow, "offset")), 64);
	assert_int_equal(json_number_value(json_object_get(bf, "bit_position")),
			 1);
	assert_int_equal(json_number_value(json_object_get(bf, "bit_length")),
			 3);
	/* anonymous union member, flattened by Volatility */
	json_t *anon = json_object_get(task, "unnamed_field_0");
	assert_true(json_is_true(json_object_get(anon, "anonymous")));
	const char *uname = json_string_value(
		json_object_get(json_object_get(anon, "type"), "name"));
	assert_non_null(uname);
	assert_true(strncmp(uname, "unnamed_union_", 14) == 0);
	assert_non_null(at(root, "user_types", uname, "fields"));
	/* the preferred "dup" keeps the name, the others get #id */
	assert_int_equal(json_number_value(at(root, "user_types", "dup",
					      "size")),
			 8);
	/* enums: base of the same size and sign */
	assert_string_equal(json_string_value(at(root, "enums", "maple_type",
						 "base")),
			    "unsigned int");
	assert_int_equal(json_number_value(json_object_get(
				 at(root, "enums", "maple_type", "constants"),
				 "maple_arange_64")),
			 3);
	assert_int_equal(json_number_value(json_object_get(
				 at(root, "enums", "signed_enum", "constants"),
				 "NEG_ONE")),
			 -1);
	/* addresses: link-time, not KASLR-shifted; per-CPU ones kept */
	assert_true(json_number_value(at(root, "symbols", "runqueues",
					 "address")) == 0x2f000);
	json_t *st = at(root, "symbols", "init_task", "type");
	assert_string_equal(json_string_value(json_object_get(st, "name")),
			    "task_struct");
	json_decref(root);
	/* exact address checks on the text: reals cannot hold them */
	char want[96];
	snprintf(want, sizeof(want), "\"init_task\":{\"address\":%llu,",
		 0xffffffff82a1aa40ull);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "\"dup_name\":{\"address\":%llu}",
		 0xffffffff81002000ull);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "\"weird\\u0001name\\u00ff\""));
	free(text);
	btf__free(b);
}

/* Export, import, and the same offsets for every field path. */
static void test_round_trip(void **state)
{
	(void)state;
	static const char *const paths[][2] = {
		{ "task_struct", "comm" },
		{ "task_struct", "pid" },
		{ "task_struct", "tasks" },
		{ "task_struct", "__state" },
		{ "task_struct", "se.vruntime" },
		{ "task_struct", "in_execve" },
		{ "task_struct", "in_iowait" },
		{ "task_struct", "frozen" },
		{ "task_struct", "pid_links[2].next" },
		{ "task_struct", "usage.counter" },
		{ "task_struct", "mm" },
		{ "task_struct", "mt" },
		{ "task_struct", "fn" },
		{ "task_struct", "d.b" },
		{ "task_struct", "last" },
		{ "mm_struct", "pgd" },
		{ "mm_struct", "mm_mt" },
		{ "mm_struct", "mm_mt.ma_root" },
		{ "list_head", "next" },
		{ "list_head", "prev" },
		{ "sock_common", "skc_dport" },
		{ "sock_common", "skc_daddr" },
		{ "sock_common", "skc_rcv_saddr" },
	};
	struct btf *b = fixture_btf();
	size_t len;
	char *text = export_text(b, &len);
	struct btf *back;
	struct cp_isf_symbols s;
	assert_ok(cp_isf_import_buffer(text, len, &back, &s));
	for (size_t i = 0; i < CP_ARRAY_SIZE(paths); i++) {
		struct cp_btf_field x, y;
		assert_ok(cp_btf_field(b, paths[i][0], paths[i][1], &x));
		assert_ok(cp_btf_field(back, paths[i][0], paths[i][1], &y));
		if (x.offset != y.offset || x.bit_offset != y.bit_offset ||
		    x.bit_size != y.bit_size || x.size != y.size ||
		    x.kind != y.kind || x.count != y.count)
			fail_msg("%s.%s: %llu:%u/%u size %llu became "
				 "%llu:%u/%u size %llu",
				 paths[i][0], paths[i][1],
				 (unsigned long long)x.offset, x.bit_offset,
				 x.bit_size, (unsigned long long)x.size,
				 (unsigned long long)y.offset, y.bit_offset,
				 y.bit_size, (unsigned long long)y.size);
	}
	uint64_t size;
	assert_ok(cp_btf_type_size(back, "task_struct", &size));
	assert_int_equal(size, 176);
	int64_t v;
	assert_ok(cp_btf_enum_value(back, "NEG_ONE", &v));
	assert_int_equal(v, -1);
	assert_ok(cp_btf_enum_value(back, "WIDE_TOP", &v));
	assert_true((uint64_t)v == 0x8000000000000001ull);
	/* symbols back at link-time addresses, banner as given */
	assert_string_equal(s.banner, banner);
	bool seen = false;
	for (size_t i = 0; i < s.size; i++)
		if (strcmp(s.data[i].name, "init_task") == 0) {
			assert_true(s.data[i].address == 0xffffffff82a1aa40ull);
			seen = true;
		}
	assert_true(seen);
	assert_int_equal(s.size, CP_ARRAY_SIZE(syms) - 1);
	/* and what came back exports to the same user types */
	size_t len2;
	char *again = export_text(back, &len2);
	assert_non_null(strstr(again, "\"task_struct\":{\"kind\":\"struct\","
				      "\"size\":176"));
	free(again);
	cp_isf_symbols_deinit(&s);
	btf__free(back);
	free(text);
	btf__free(b);
}

/* Volatility's schema, when ../shared/isf and python3-jsonschema exist. */
static void test_export_validates(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	size_t len;
	char *text = export_text(b, &len);
	char *path = unit_tmpfile(text, len);
	char *cmd;
	assert_non_null(path);
	assert_true(asprintf(&cmd, "python3 tests/unit/kernel/isf_validate.py "
				   "%s",
			     path ? path : "") > 0);
	int rc = system(cmd);
	int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	/* a broken file must be refused, or the check proves nothing */
	char *broken_text = strdup(text);
	assert_non_null(broken_text);
	char *fmt = strstr(broken_text, "\"6.2.0\"");
	assert_non_null(fmt);
	memcpy(fmt, "\"7.2.0\"", 7);
	char *broken = unit_tmpfile(broken_text, len);
	assert_non_null(broken);
	free(cmd);
	assert_true(asprintf(&cmd, "python3 tests/unit/kernel/isf_validate.py "
				   "%s >/dev/null",
			     broken ? broken : "") > 0);
	int rc2 = system(cmd);
	unlink(path);
	unlink(broken);
	free(path);
	free(broken);
	free(broken_text);
	free(cmd);
	free(text);
	btf__free(b);
	if (status == 77) {
		print_message(
			"  (skipped: no ISF schema or python3-jsonschema)\n");
		skip();
	}
	assert_int_equal(status, 0);
	assert_int_equal(WEXITSTATUS(rc2), 1);
}

/* The shape dwarf2json writes from DWARF, by hand. */
static const char dwarf2json_like[] =
	"{\"metadata\":{\"format\":\"6.2.0\",\"producer\":{\"name\":"
	"\"dwarf2json\",\"version\":\"0.6.0\"},\"linux\":{\"symbols\":[{"
	"\"kind\":\"dwarf\",\"name\":\"vmlinux\"}]}},"
	"\"base_types\":{\"int\":{\"size\":4,\"signed\":true,\"kind\":\"int\","
	"\"endian\":\"little\"},\"char\":{\"size\":1,\"signed\":true,"
	"\"kind\":\"char\",\"endian\":\"little\"},\"long unsigned int\":{"
	"\"size\":8,\"signed\":false,\"kind\":\"int\",\"endian\":\"little\"},"
	"\"_Bool\":{\"size\":1,\"signed\":false,\"kind\":\"bool\",\"endian\":"
	"\"little\"},\"double\":{\"size\":8,\"signed\":true,\"kind\":"
	"\"float\",\"endian\":\"little\"},\"void\":{\"size\":0,\"signed\":"
	"false,\"kind\":\"void\",\"endian\":\"little\"},\"pointer\":{\"size\":"
	"8,\"signed\":false,\"kind\":\"int\",\"endian\":\"little\"}},"
	"\"user_types\":{\"task_struct\":{\"size\":64,\"fields\":{"
	"\"unnamed_field_0\":{\"type\":{\"kind\":\"union\",\"name\":"
	"\"unnamed_8a2c3f1e5d6b7a90\"},\"offset\":0,\"anonymous\":true},"
	"\"usage\":{\"type\":{\"kind\":\"struct\",\"name\":"
	"\"unnamed_1234567890abcdef\"},\"offset\":4},"
	"\"comm\":{\"type\":{\"kind\":\"array\",\"count\":16,\"subtype\":{"
	"\"kind\":\"base\",\"name\":\"char\"}},\"offset\":8},"
	"\"files\":{\"type\":{\"kind\":\"pointer\",\"subtype\":{\"kind\":"
	"\"struct\",\"name\":\"files_struct\"}},\"offset\":24},"
	"\"fn\":{\"type\":{\"kind\":\"pointer\",\"subtype\":{\"kind\":"
	"\"function\"}},\"offset\":32},"
	"\"jobctl\":{\"type\":{\"kind\":\"bitfield\",\"bit_position\":3,"
	"\"bit_length\":2,\"type\":{\"kind\":\"base\",\"name\":"
	"\"long unsigned int\"}},\"offset\":40},"
	"\"state\":{\"type\":{\"kind\":\"enum\",\"name\":\"task_state\"},"
	"\"offset\":48},"
	"\"ready\":{\"type\":{\"kind\":\"base\",\"name\":\"_Bool\"},"
	"\"offset\":52}},\"kind\":\"struct\"},"
	"\"unnamed_8a2c3f1e5d6b7a90\":{\"size\":4,\"fields\":{\"__state\":{"
	"\"type\":{\"kind\":\"base\",\"name\":\"int\"},\"offset\":0},"
	"\"saved_state\":{\"type\":{\"kind\":\"base\",\"name\":\"int\"},"
	"\"offset\":0}},\"kind\":\"union\"},"
	"\"unnamed_1234567890abcdef\":{\"size\":4,\"fields\":{\"counter\":{"
	"\"type\":{\"kind\":\"base\",\"name\":\"int\"},\"offset\":0}},"
	"\"kind\":\"struct\"}},"
	"\"enums\":{\"task_state\":{\"size\":4,\"base\":\"int\",\"constants\":"
	"{\"TASK_RUNNING\":0,\"TASK_DEAD\":128,\"TASK_NEG\":-2}}},"
	"\"symbols\":{\"init_task\":{\"type\":{\"kind\":\"struct\",\"name\":"
	"\"task_struct\"},\"address\":18446744071606217280},"
	"\"linux_banner\":{\"type\":{\"kind\":\"array\",\"count\":6,"
	"\"subtype\":{\"kind\":\"base\",\"name\":\"char\"}},\"address\":"
	"18446744071596802016,\"constant_data\":\"TGludXgKAA==\"}}}";

static void test_import_dwarf2json_style(void **state)
{
	(void)state;
	struct btf *b;
	struct cp_isf_symbols s;
	struct cp_btf_field f;
	assert_ok(cp_isf_import_buffer(dwarf2json_like,
				       sizeof(dwarf2json_like) - 1, &b, &s));
	assert_ok(cp_btf_field(b, "task_struct", "__state", &f));
	assert_int_equal(f.offset, 0);
	assert_ok(cp_btf_field(b, "task_struct", "usage.counter", &f));
	assert_int_equal(f.offset, 4);
	assert_ok(cp_btf_field(b, "task_struct", "comm", &f));
	assert_int_equal(f.count, 16);
	assert_ok(cp_btf_field(b, "task_struct", "files", &f));
	/* files_struct is not in the file: a forward declaration */
	assert_int_equal(f.target_kind, CP_BTF_FWD);
	assert_ok(cp_btf_field(b, "task_struct", "fn", &f));
	assert_int_equal(f.target_kind, CP_BTF_FUNC);
	assert_ok(cp_btf_field(b, "task_struct", "jobctl", &f));
	assert_int_equal(f.offset, 40);
	assert_int_equal(f.bit_offset, 3);
	assert_int_equal(f.bit_size, 2);
	assert_int_equal(f.size, 8);
	assert_ok(cp_btf_field(b, "task_struct", "state", &f));
	assert_int_equal(f.kind, CP_BTF_ENUM);
	assert_true(f.is_signed);
	int64_t v;
	assert_ok(cp_btf_enum_value(b, "TASK_NEG", &v));
	assert_int_equal(v, -2);
	assert_string_equal(s.banner, "Linux");
	assert_int_equal(s.size, 2);
	FILE *null = fopen("/dev/null", "w");
	assert_ok(cp_btf_print_struct(null, b, "task_struct"));
	fclose(null);
	cp_isf_symbols_deinit(&s);
	btf__free(b);
}

static void expect_refused(const char *json, const char *needle)
{
	struct btf *b = NULL;
	struct cp_error *err = cp_isf_import_buffer(json, strlen(json), &b,
						    NULL);
	if (!err)
		fail_msg("accepted: %.200s", json);
	if (!strstr(cp_error_message(err), needle))
		fail_msg("'%s' does not mention '%s'", cp_error_message(err),
			 needle);
	assert_null(b);
	cp_error_destroy(err);
}

#define HEAD                                                                 \
	"{\"metadata\":{\"format\":\"6.2.0\",\"producer\":{\"name\":\"t\","  \
	"\"version\":\"1.0.0\"}},\"base_types\":{\"int\":{\"size\":4,"      \
	"\"signed\":true,\"kind\":\"int\",\"endian\":\"little\"}},"
#define TAIL ",\"enums\":{},\"symbols\":{}}"

static void test_import_refuses(void **state)
{
	(void)state;
	expect_refused("{\"metadata\":", "JSON error");
	expect_refused("[]", "not an ISF");
	expect_refused("{\"metadata\":{},\"base_types\":{},\"user_types\":{},"
		       "\"enums\":{},\"symbols\":{}}",
		       "metadata.format");
	expect_refused("{\"metadata\":{\"format\":\"2.0.0\"},\"base_types\":{},"
		       "\"user_types\":{},\"enums\":{},\"symbols\":{}}",
		       "not supported");
	expect_refused(HEAD "\"user_types\":{\"a\":{\"kind\":\"struct\","
			    "\"size\":4,\"fields\":{\"x\":{\"type\":{\"kind\":"
			    "\"base\",\"name\":\"nope\"},\"offset\":0}}}}" TAIL,
		       "unknown base type");
	/* a struct containing itself by value (through an array) */
	expect_refused(HEAD "\"user_types\":{\"a\":{\"kind\":\"struct\","
			    "\"size\":4,\"fields\":{\"b\":{\"type\":{\"kind\":"
			    "\"struct\",\"name\":\"b\"},\"offset\":0}}},\"b\":{"
			    "\"kind\":\"struct\",\"size\":4,\"fields\":{\"a\":{"
			    "\"type\":{\"kind\":\"array\",\"count\":1,"
			    "\"subtype\":{\"kind\":\"struct\",\"name\":\"a\"}},"
			    "\"offset\":0}}}}" TAIL,
		       "contains itself");
	expect_refused(HEAD "\"user_types\":{\"u\":{\"kind\":\"union\","
			    "\"size\":8,\"fields\":{\"x\":{\"type\":{\"kind\":"
			    "\"base\",\"name\":\"int\"},\"offset\":4}}}}" TAIL,
		       "not at offset 0");
	expect_refused(HEAD "\"user_types\":{\"s\":{\"kind\":\"struct\","
			    "\"size\":8,\"fields\":{\"x\":{\"type\":{\"kind\":"
			    "\"base\",\"name\":\"int\"},\"offset\":-4}}}}" TAIL,
		       "offset");
	expect_refused(HEAD "\"user_types\":{\"s\":{\"kind\":\"struct\","
			    "\"size\":8,\"fields\":{\"x\":{\"type\":{\"kind\":"
			    "\"weird\"},\"offset\":0}}}}" TAIL,
		       "unknown type kind");
	expect_refused(HEAD
		       "\"user_types\":{},\"enums\":{\"e\":{\"size\":3,"
		       "\"base\":\"int\",\"constants\":{}}},\"symbols\":{}}",
		       "size is not");
	expect_refused(HEAD "\"user_types\":{},\"enums\":{},\"symbols\":{\"s\":"
			    "{\"address\":\"x\"}}}",
		       "address");
	expect_refused(HEAD "\"user_types\":{},\"enums\":{},\"symbols\":{\"s\":"
			    "{\"address\":99999999999999999999999}}}",
		       "address");
	expect_refused(HEAD "\"user_types\":{\"a\":{\"kind\":\"struct\","
			    "\"size\":4,\"fields\":{}},\"a\":{\"kind\":"
			    "\"struct\",\"size\":4,\"fields\":{}}}" TAIL,
		       "duplicate");
	/* descriptors nested 40 deep */
	char deep[4096] = HEAD "\"user_types\":{\"s\":{\"kind\":\"struct\","
			       "\"size\":8,\"fields\":{\"x\":{\"type\":";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"kind\":\"pointer\",\"subtype\":");
	strcat(deep, "{\"kind\":\"base\",\"name\":\"int\"}");
	for (int i = 0; i < 40; i++)
		strcat(deep, "}");
	strcat(deep, ",\"offset\":0}}}}" TAIL);
	expect_refused(deep, "nested too deeply");
}

/* Huge: more members than BTF holds, offsets past its encodings. */
static void test_import_refuses_huge(void **state)
{
	(void)state;
	size_t cap = 8 << 20, len = 0;
	char *json = malloc(cap);
	assert_non_null(json);
	len += (size_t)snprintf(json, cap,
				HEAD "\"user_types\":{\"big\":{\"kind\":"
				     "\"struct\",\"size\":400000,\"fields\":{");
	for (int i = 0; i < 70000; i++)
		len += (size_t)snprintf(json + len, cap - len,
					"%s\"f%d\":{\"type\":{\"kind\":\"base\","
					"\"name\":\"int\"},\"offset\":%d}",
					i ? "," : "", i, 4 * i);
	snprintf(json + len, cap - len, "}}}" TAIL);
	expect_refused(json, "65535");
	free(json);
	expect_refused(HEAD "\"user_types\":{\"s\":{\"kind\":\"struct\","
			    "\"size\":8,\"fields\":{\"x\":{\"type\":{\"kind\":"
			    "\"bitfield\",\"bit_position\":0,\"bit_length\":1,"
			    "\"type\":{\"kind\":\"base\",\"name\":\"int\"}},"
			    "\"offset\":4194304}}}}" TAIL,
		       "2 MiB");
	expect_refused(HEAD "\"user_types\":{\"s\":{\"kind\":\"struct\","
			    "\"size\":8,\"fields\":{\"x\":{\"type\":{\"kind\":"
			    "\"base\",\"name\":\"int\"},\"offset\":"
			    "4294967296}}}}" TAIL,
		       "512 MiB");
	/* a 4G-element array is representable and must not overflow */
	struct btf *b;
	static const char big_array[] =
		HEAD "\"user_types\":{\"s\":{\"kind\":\"struct\",\"size\":8,"
		     "\"fields\":{\"a\":{\"type\":{\"kind\":\"array\",\"count\":"
		     "4294967295,\"subtype\":{\"kind\":\"base\",\"name\":"
		     "\"int\"}},\"offset\":0}}}}" TAIL;
	assert_ok(cp_isf_import_buffer(big_array, sizeof(big_array) - 1, &b,
				       NULL));
	struct cp_btf_field f;
	assert_ok(cp_btf_field(b, "s", "a", &f));
	assert_int_equal(f.count, 4294967295u);
	assert_ok(cp_btf_field(b, "s", "a[7]", &f));
	assert_int_equal(f.offset, 28);
	btf__free(b);
}

static void test_system_map(void **state)
{
	(void)state;
	static const char map[] =
		"ffffffff81000000 T _text\n"
		"ffffffff82a1aa40 D init_task\n"
		"0000000000000000 A fixed_percpu_data\n"
		"ffffffffc0002000 t mod_fn\t[some_module]\n"
		"\n";
	struct cp_isf_symbols s;
	assert_ok(cp_isf_parse_system_map(map, sizeof(map) - 1, &s));
	assert_int_equal(s.size, 4);
	assert_string_equal(s.data[1].name, "init_task");
	assert_true(s.data[1].address == 0xffffffff82a1aa40ull);
	assert_int_equal(s.data[1].type, 'D');
	assert_string_equal(s.data[3].name, "mod_fn");
	cp_isf_symbols_deinit(&s);
	/* what Debian ships in linux-image */
	static const char placeholder[] =
		"ffffffffffffffff B The real System.map is in the "
		"linux-image-<version>-dbg package\n";
	struct cp_error *err = cp_isf_parse_system_map(
		placeholder, sizeof(placeholder) - 1, &s);
	assert_int_equal(cp_error_code(err), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_error_message(err), "-dbg package"));
	cp_error_destroy(err);
	assert_error(cp_isf_parse_system_map("zz T x\n", 7, &s), CP_ERR_FORMAT);
}

static void test_system_map_and_btf_files(void **state)
{
	(void)state;
	static const char map[] = "ffffffff81000000 T _text\n"
				  "ffffffff82a1aa40 D init_task\n";
	uint32_t size;
	void *blob = fixture_blob(&size);
	char *btf_path = unit_tmpfile(blob, size);
	char *map_path = unit_tmpfile(map, sizeof(map) - 1);
	struct btf *b;
	struct cp_isf_symbols s;
	assert_ok(cp_isf_import_system_map(map_path, btf_path, &b, &s));
	assert_int_equal(s.size, 2);
	struct cp_btf_field f;
	assert_ok(cp_btf_field(b, "task_struct", "comm", &f));
	assert_int_equal(f.offset, 32);
	btf__free(b);
	cp_isf_symbols_deinit(&s);
	struct cp_error *err =
		cp_isf_import_system_map(map_path, "/nonexistent", &b, &s);
	assert_int_equal(cp_error_code(err), CP_ERR_OS);
	cp_error_destroy(err);
	unlink(btf_path);
	unlink(map_path);
	free(btf_path);
	free(map_path);
	free(blob);
}

static void test_base64(void **state)
{
	(void)state;
	static const char *const in[] = { "", "L", "Li", "Lin", "Linux\n" };
	for (size_t i = 0; i < CP_ARRAY_SIZE(in); i++) {
		char *e = cp_isf_base64_encode((const uint8_t *)in[i],
					       strlen(in[i]));
		size_t len;
		uint8_t *d = cp_isf_base64_decode(e, &len);
		assert_non_null(d);
		assert_int_equal(len, strlen(in[i]));
		assert_memory_equal(d, in[i], len);
		free(e);
		free(d);
	}
	size_t len;
	assert_null(cp_isf_base64_decode("TGlu=XgK", &len));
	assert_null(cp_isf_base64_decode("TGl", &len));
	assert_null(cp_isf_base64_decode("TG!u", &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_shape),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_export_validates),
		cmocka_unit_test(test_import_dwarf2json_style),
		cmocka_unit_test(test_import_refuses),
		cmocka_unit_test(test_import_refuses_huge),
		cmocka_unit_test(test_system_map),
		cmocka_unit_test(test_system_map_and_btf_files),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
