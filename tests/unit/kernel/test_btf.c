/*
 * Unit tests for BTF carving (btf.c), lookups (btf_field.c) and pahole-style
 * printing (btf_print.c, btf_layout.c, btf_ctype.c) on the kernel-like
 * fixture of btf_fixture.h, laid into synthetic guest RAM with the decoys
 * real guests hold: the kernel's copy of the header in slab memory, module
 * split BTF, BPF program BTF without task_struct, truncated and lying
 * headers, and a blob running off the end of memory.
 *
 * Set CLOUDPROBE_TEST_RAW (a raw guest image, e.g. from `lab pmem`) and
 * CLOUDPROBE_TEST_BTF (that guest's /sys/kernel/btf/vmlinux) to also carve
 * a real guest and compare the blob byte for byte.
 */
#include <bpf/btf.h>

#include "btf_fixture.h"
#include "kernel/btf.h"
#include "mem/mem.h"

/* ------------------------------------------------------------ lookups */

static struct cp_btf_field get(const struct btf *b, const char *type,
			       const char *path)
{
	struct cp_btf_field f;
	assert_ok(cp_btf_field(b, type, path, &f));
	return f;
}

static void test_field_paths(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	struct cp_btf_field f = get(b, "task_struct", "comm");
	assert_int_equal(f.offset, 32);
	assert_int_equal(f.size, 16);
	assert_int_equal(f.kind, CP_BTF_ARRAY);
	assert_int_equal(f.count, 16);
	assert_int_equal(f.elem_size, 1);
	assert_int_equal(cp_btf_kind_of(b, f.elem_type_id), CP_BTF_INT);
	/* through an anonymous union, by plain name */
	f = get(b, "task_struct", "__state");
	assert_int_equal(f.offset, 0);
	assert_int_equal(f.size, 4);
	assert_false(f.is_signed);
	f = get(b, "task_struct", "se.vruntime");
	assert_int_equal(f.offset, 24);
	assert_int_equal(f.kind, CP_BTF_INT);
	assert_int_not_equal(f.decl_type_id, f.type_id); /* u64 typedef */
	f = get(b, "task_struct", "pid_links[1]");
	assert_int_equal(f.offset, 72 + 16);
	assert_int_equal(f.kind, CP_BTF_STRUCT);
	f = get(b, "task_struct", "pid_links[3].prev");
	assert_int_equal(f.offset, 72 + 48 + 8);
	assert_int_equal(f.kind, CP_BTF_POINTER);
	assert_int_equal(f.target_kind, CP_BTF_STRUCT);
	f = get(b, "task_struct", "comm[15]");
	assert_int_equal(f.offset, 47);
	/* const volatile typedef stripped to the integer */
	f = get(b, "task_struct", "flags");
	assert_int_equal(f.kind, CP_BTF_INT);
	assert_int_equal(f.size, 4);
	/* typedef of an anonymous struct */
	f = get(b, "task_struct", "usage.counter");
	assert_int_equal(f.offset, 4);
	assert_true(f.is_signed);
	f = get(b, "task_struct", "mm");
	assert_int_equal(f.offset, 136);
	assert_int_equal(f.kind, CP_BTF_POINTER);
	assert_int_equal(cp_btf_kind_of(b, f.target_type_id), CP_BTF_STRUCT);
	f = get(b, "task_struct", "fn");
	assert_int_equal(f.target_kind, CP_BTF_FUNC);
	f = get(b, "task_struct", "mt");
	assert_int_equal(f.kind, CP_BTF_ENUM);
	/* bitfields: byte of the first bit, bit within it, width */
	f = get(b, "task_struct", "in_execve");
	assert_int_equal(f.offset, 64);
	assert_int_equal(f.bit_offset, 0);
	assert_int_equal(f.bit_size, 1);
	f = get(b, "task_struct", "in_iowait");
	assert_int_equal(f.offset, 64);
	assert_int_equal(f.bit_offset, 1);
	assert_int_equal(f.bit_size, 3);
	f = get(b, "task_struct", "frozen");
	assert_int_equal(f.offset, 68);
	assert_int_equal(f.size, 4);
	/* anonymous struct in an anonymous union, and at offset 0 */
	f = get(b, "sock_common", "skc_daddr");
	assert_int_equal(f.offset, 0);
	f = get(b, "sock_common", "skc_rcv_saddr");
	assert_int_equal(f.offset, 4);
	f = get(b, "struct sock_common", "skc_dport");
	assert_int_equal(f.offset, 8);
	assert_int_equal(f.size, 2);
	f = get(b, "mm_struct", "mm_mt");
	assert_int_equal(f.offset, 0);
	assert_int_equal(f.size, 16);
	f = get(b, "mm_struct", "pgd");
	assert_int_equal(f.offset, 72);
	f = get(b, "mm_struct", "mm_mt.ma_root");
	assert_int_equal(f.offset, 8);
	assert_int_equal(f.target_type_id, 0); /* void * */
	/* a typedef names the struct it stands for */
	f = get(b, "atomic_t", "counter");
	assert_int_equal(f.offset, 0);
	btf__free(b);
}

static void test_lookup_errors(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	struct cp_btf_field f;
	assert_error(cp_btf_field(b, "no_such_struct", "x", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "no_such", &f),
		     CP_ERR_NOT_FOUND);
	/* offsets only: no walking through pointers */
	assert_error(cp_btf_field(b, "task_struct", "mm.pgd", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "comm[16]", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "comm[x]", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "pid[0]", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "in_execve.x", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "", &f), CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "task_struct", "se..load", &f),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_btf_field(b, "union task_struct", "pid", &f),
		     CP_ERR_NOT_FOUND);
	struct cp_error *err = cp_btf_field(b, "task_struct", "se.nope", &f);
	assert_non_null(strstr(cp_error_message(err), "'nope'"));
	cp_error_destroy(err);
	btf__free(b);
}

static void test_same_name_structs(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	uint64_t size;
	struct cp_btf_field f;
	/* the definition with most members wins */
	assert_ok(cp_btf_type_size(b, "dup", &size));
	assert_int_equal(size, 8);
	f = get(b, "dup", "b");
	assert_int_equal(f.offset, 4);
	/* a member only the smaller definition has is still found */
	f = get(b, "dup", "only_small");
	assert_int_equal(f.offset, 0);
	assert_int_equal(f.size, 4);
	assert_ok(cp_btf_type_size(b, "task_struct", &size));
	assert_int_equal(size, 176);
	assert_ok(cp_btf_type_size(b, "atomic_t", &size));
	assert_int_equal(size, 4);
	assert_ok(cp_btf_type_size(b, "maple_type", &size));
	assert_int_equal(size, 4);
	assert_error(cp_btf_type_size(b, "nothing", &size), CP_ERR_NOT_FOUND);
	btf__free(b);
}

static void test_enum_values(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	int64_t v;
	assert_ok(cp_btf_enum_value(b, "maple_arange_64", &v));
	assert_int_equal(v, 3);
	assert_ok(cp_btf_enum_value(b, "maple_dense", &v));
	assert_int_equal(v, 0);
	assert_ok(cp_btf_enum_value(b, "NEG_ONE", &v));
	assert_int_equal(v, -1);
	assert_ok(cp_btf_enum_value(b, "WIDE_TOP", &v));
	assert_true((uint64_t)v == 0x8000000000000001ull);
	assert_error(cp_btf_enum_value(b, "MAPLE_ARANGE_64", &v),
		     CP_ERR_NOT_FOUND);
	btf__free(b);
}

/* The index answers exactly as the scanning functions do. */
static void test_index_agrees(void **state)
{
	(void)state;
	static const char *const paths[][2] = {
		{ "task_struct", "comm" },	 { "task_struct", "__state" },
		{ "task_struct", "se.vruntime" }, { "task_struct", "frozen" },
		{ "sock_common", "skc_dport" },	 { "mm_struct", "mm_mt" },
		{ "dup", "only_small" },	 { "dup", "a" },
		{ "atomic_t", "counter" },	 { "list_head", "next" },
	};
	struct btf *b = fixture_btf();
	struct cp_btf_index *ix;
	assert_ok(cp_btf_index_new(b, &ix));
	assert_ptr_equal(cp_btf_index_btf(ix), b);
	for (size_t i = 0; i < CP_ARRAY_SIZE(paths); i++) {
		struct cp_btf_field a, c;
		assert_ok(cp_btf_field(b, paths[i][0], paths[i][1], &a));
		assert_ok(cp_btf_index_field(ix, paths[i][0], paths[i][1], &c));
		assert_memory_equal(&a, &c, sizeof(a));
	}
	struct cp_btf_field f;
	assert_error(cp_btf_index_field(ix, "task_struct", "zz", &f),
		     CP_ERR_NOT_FOUND);
	int64_t v;
	assert_ok(cp_btf_index_enum_value(ix, "maple_range_64", &v));
	assert_int_equal(v, 2);
	assert_error(cp_btf_index_enum_value(ix, "zz", &v), CP_ERR_NOT_FOUND);
	uint64_t size;
	assert_ok(cp_btf_index_type_size(ix, "dup", &size));
	assert_int_equal(size, 8);
	assert_int_equal(cp_btf_index_find(ix, "dup", CP_BTF_STRUCT),
			 cp_btf_find(b, "dup", CP_BTF_STRUCT));
	assert_int_equal(cp_btf_index_find(ix, "maple_type", CP_BTF_ENUM),
			 cp_btf_find(b, "maple_type", CP_BTF_ENUM));
	cp_btf_index_destroy(ix);
	btf__free(b);
}

/* A typedef loop (forged BTF) neither hangs nor crashes anything. */
static void test_type_loops_are_bounded(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	int a = btf__add_typedef(b, "loop_a", (int)btf__type_cnt(b) + 1);
	assert_true(a > 0);
	assert_true(btf__add_typedef(b, "loop_b", a) > 0);
	int s = btf__add_struct(b, "loopy", 8);
	assert_true(s > 0);
	assert_int_equal(btf__add_field(b, "x", a, 0, 0), 0);
	assert_int_equal(cp_btf_strip(b, (uint32_t)a), 0);
	struct cp_btf_field f;
	assert_ok(cp_btf_field(b, "loopy", "x", &f));
	assert_error(cp_btf_field(b, "loopy", "x.y", &f), CP_ERR_NOT_FOUND);
	/* an anonymous struct holding itself twice: a cycle, and 2^depth
	 * paths for a walker that follows anonymous members */
	int self = btf__add_struct(b, NULL, 16);
	assert_true(self > 0);
	assert_int_equal(btf__add_field(b, NULL, self, 0, 0), 0);
	assert_int_equal(btf__add_field(b, NULL, self, 64, 0), 0);
	int outer = btf__add_struct(b, "selfish", 16);
	assert_true(outer > 0);
	assert_int_equal(btf__add_field(b, NULL, self, 0, 0), 0);
	assert_error(cp_btf_field(b, "selfish", "missing", &f),
		     CP_ERR_NOT_FOUND);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_ok(cp_btf_print_struct(out, b, "loopy"));
	assert_ok(cp_btf_print_struct(out, b, "selfish"));
	fclose(out);
	assert_non_null(strstr(text, "<ERROR: contains itself>"));
	assert_true(len < 100000);
	free(text);
	btf__free(b);
}

/* ------------------------------------------------------------ printing */

static const char expect_task_struct[] =
	"struct task_struct {\n"
	"\tunion {\n"
	"\t\tunsigned int       __state;              /*     0     4 */\n"
	"\t\tunsigned int       saved_state;          /*     0     4 */\n"
	"\t};                                               /*     0     4 */\n"
	"\tatomic_t                   usage;                /*     4     4 */\n"
	"\tint                        pid;                  /*     8     4 */\n"
	"\tvolatile const u32         flags;                /*    12     4 */\n"
	"\tstruct sched_entity        se;                   /*    16    16 */\n"
	"\tchar                       comm[16];             /*    32    16 */\n"
	"\tstruct list_head           tasks;                /*    48    16 */\n"
	"\t/* --- cacheline 1 boundary (64 bytes) --- */\n"
	"\tunsigned int               in_execve:1;          /*    64: 0  4 */\n"
	"\tunsigned int               in_iowait:3;          /*    64: 1  4 */\n"
	"\n"
	"\t/* XXX 28 bits hole, try to pack */\n"
	"\n"
	"\t/* Force alignment to the next boundary: */\n"
	"\tunsigned int               :0;\n"
	"\n"
	"\tunsigned int               frozen:2;             /*    68: 0  4 */\n"
	"\n"
	"\t/* XXX 30 bits hole, try to pack */\n"
	"\n"
	"\tstruct list_head           pid_links[4];         /*    72    64 */\n"
	"\t/* --- cacheline 2 boundary (128 bytes) was 8 bytes ago --- */\n"
	"\tstruct mm_struct *         mm;                   /*   136     8 */\n"
	"\tenum maple_type            mt;                   /*   144     4 */\n"
	"\n"
	"\t/* XXX 4 bytes hole, try to pack */\n"
	"\n"
	"\tvoid                       (*fn)(int);           /*   152     8 */\n"
	"\tstruct dup                 d;                    /*   160     8 */\n"
	"\tint                        last;                 /*   168     4 */\n"
	"\n"
	"\t/* size: 176, cachelines: 3, members: 16 */\n"
	"\t/* sum members: 160, holes: 1, sum holes: 4 */\n"
	"\t/* sum bitfield members: 6 bits, bit holes: 2, sum bit holes: 58 bits */\n"
	"\t/* padding: 4 */\n"
	"\t/* last cacheline: 48 bytes */\n"
	"};\n";
static const char expect_sock_common[] =
	"struct sock_common {\n"
	"\tunion {\n"
	"\t\tu64                skc_addrpair;         /*     0     8 */\n"
	"\t\tstruct {\n"
	"\t\t\t__be32     skc_daddr;            /*     0     4 */\n"
	"\t\t\t__be32     skc_rcv_saddr;        /*     4     4 */\n"
	"\t\t};                                       /*     0     8 */\n"
	"\t};                                               /*     0     8 */\n"
	"\tunion {\n"
	"\t\tu32                skc_portpair;         /*     8     4 */\n"
	"\t\tstruct {\n"
	"\t\t\tshort unsigned int skc_dport;    /*     8     2 */\n"
	"\t\t\tshort unsigned int skc_num;      /*    10     2 */\n"
	"\t\t};                                       /*     8     4 */\n"
	"\t};                                               /*     8     4 */\n"
	"\n"
	"\t/* size: 12, cachelines: 1, members: 2 */\n"
	"\t/* last cacheline: 12 bytes */\n"
	"} __attribute__((__packed__));\n";
static const char expect_mm_struct[] =
	"struct mm_struct {\n"
	"\tstruct {\n"
	"\t\tstruct maple_tree  mm_mt;                /*     0    16 */\n"
	"\t\tlong unsigned int  mmap_base;            /*    16     8 */\n"
	"\n"
	"\t\t/* XXX 48 bytes hole, try to pack */\n"
	"\n"
	"\t\t/* --- cacheline 1 boundary (64 bytes) was 8 bytes ago --- */\n"
	"\t\tvoid *             pgd __attribute__((__aligned__(64))); /*    72     8 */\n"
	"\t\tint                map_count;            /*    80     4 */\n"
	"\t};                                               /*     0    88 */\n"
	"\n"
	"\t/* XXX last struct has 4 bytes of padding */\n"
	"\n"
	"\t/* size: 88, cachelines: 2, members: 1 */\n"
	"\t/* paddings: 1, sum paddings: 4 */\n"
	"\t/* last cacheline: 24 bytes */\n"
	"};\n";

static char *print(const struct btf *b, const char *name)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_ok(cp_btf_print_struct(f, b, name));
	fclose(f);
	return text;
}

/* Expected texts are `pahole -C NAME` (dwarves 1.24) on the fixture. */
static void test_print_like_pahole(void **state)
{
	(void)state;
	struct btf *b = fixture_btf();
	char *t = print(b, "task_struct");
	assert_string_equal(t, expect_task_struct);
	free(t);
	t = print(b, "sock_common");
	assert_string_equal(t, expect_sock_common);
	free(t);
	t = print(b, "mm_struct");
	assert_string_equal(t, expect_mm_struct);
	free(t);
	FILE *null = fopen("/dev/null", "w");
	assert_error(cp_btf_print_struct(null, b, "nothing"), CP_ERR_NOT_FOUND);
	assert_error(cp_btf_print_type(null, b, 1), CP_ERR_USAGE);
	fclose(null);
	btf__free(b);
}

/* pahole's BTF quirks: int a[2][3] reads "a[3][2]", a flexible array
 * at the end "[]", a const-pointer "const T  *" (dwarves 1.24 output). */
static void test_print_quirks(void **state)
{
	(void)state;
	struct btf *b = btf__new_empty();
	int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int c = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	/* pahole takes the pointer size from "long": without it, 0 */
	assert_true(btf__add_int(b, "long unsigned int", 8, 0) > 0);
	int inner = btf__add_array(b, i, i, 3);
	int outer = btf__add_array(b, i, inner, 2);
	int cc = btf__add_const(b, c);
	int ccp = btf__add_ptr(b, cc);
	int flex = btf__add_array(b, i, c, 0);
	assert_true(btf__add_struct(b, "quirks", 40) > 0);
	assert_int_equal(btf__add_field(b, "a", outer, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "name", ccp, 192, 0), 0);
	assert_int_equal(btf__add_field(b, "len", i, 256, 0), 0);
	assert_int_equal(btf__add_field(b, "data", flex, 288, 0), 0);
	char *t = print(b, "quirks");
	assert_string_equal(
		t, "struct quirks {\n"
		   "\tint                        a[3][2];              /*     0"
		   "    24 */\n"
		   "\tconst char  *              name;                 /*    24"
		   "     8 */\n"
		   "\tint                        len;                  /*    32"
		   "     4 */\n"
		   "\tchar                       data[];               /*    36"
		   "     0 */\n"
		   "\n"
		   "\t/* size: 40, cachelines: 1, members: 4 */\n"
		   "\t/* padding: 4 */\n"
		   "\t/* last cacheline: 40 bytes */\n"
		   "};\n");
	free(t);
	btf__free(b);
}

/* ------------------------------------------------------------- carving */

#define MiB (1u << 20)

/* A raw guest image file holding img; *path is unlinked by close_image. */
static struct cp_mem *open_image(const uint8_t *img, size_t size, char **path)
{
	*path = unit_tmpfile(img, size);
	assert_non_null(*path);
	char *uri;
	assert_true(asprintf(&uri, "raw:%s", *path) > 0);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(uri, &mem));
	free(uri);
	return mem;
}

static void close_image(struct cp_mem *mem, char *path)
{
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* A module's split BTF on top of the fixture. */
static void *module_blob(uint32_t *size)
{
	struct btf *base = fixture_btf();
	struct btf *mod = btf__new_empty_split(base);
	assert_non_null(mod);
	int s = btf__add_struct(mod, "module_private", 8);
	assert_true(s > 0);
	assert_int_equal(btf__add_field(mod, "owner", 1, 0, 0), 0);
	const void *raw = btf__raw_data(mod, size);
	void *copy = malloc(*size);
	memcpy(copy, raw, *size);
	btf__free(mod);
	btf__free(base);
	return copy;
}

/* BTF of a BPF program: valid, standalone, no task_struct. */
static void *program_blob(uint32_t *size)
{
	struct btf *b = btf__new_empty();
	int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	assert_true(btf__add_struct(b, "prog_map_value", 4) > 0);
	assert_int_equal(btf__add_field(b, "count", i, 0, 0), 0);
	const void *raw = btf__raw_data(b, size);
	void *copy = malloc(*size);
	memcpy(copy, raw, *size);
	btf__free(b);
	return copy;
}

/*
 * 4 MiB of RAM: decoys first, the blob at an odd address, and a header at
 * the very end whose blob runs past the last byte.
 */
static uint8_t *decoy_image(size_t size, const uint8_t *blob,
			    uint32_t blob_size, uint64_t at)
{
	uint8_t *img = calloc(1, size);
	uint32_t n;
	assert_non_null(img);
	/* the kernel's struct btf copy of the header, then slab junk */
	memcpy(img + 0x1000, blob, 24);
	for (size_t i = 24; i < blob_size; i++)
		img[0x1000 + i] = (uint8_t)(i * 37 + 11);
	void *mod = module_blob(&n);
	memcpy(img + 0x3000, mod, n);
	free(mod);
	/* truncated: only the magic survived */
	memcpy(img + 0x5003, blob, 8);
	/* lying: a 2 GiB type section */
	memcpy(img + 0x7000, blob, 24);
	put32(img + 0x7000 + 12, 0x7ffffff0);
	void *prog = program_blob(&n);
	memcpy(img + 0x9000, prog, n);
	free(prog);
	memcpy(img + at, blob, blob_size);
	/* off the end */
	memcpy(img + size - 100, blob, 24);
	return img;
}

static void test_carve_past_decoys(void **state)
{
	(void)state;
	uint32_t blob_size;
	uint8_t *blob = fixture_blob(&blob_size);
	const size_t size = 4 * MiB;
	const uint64_t at = 0x123457;
	uint8_t *img = decoy_image(size, blob, blob_size, at);
	char *path;
	struct cp_mem *mem = open_image(img, size, &path);
	struct btf *b;
	struct cp_btf_info info;
	assert_ok(cp_btf_carve(mem, &b, &info));
	assert_int_equal(info.paddr, at);
	assert_int_equal(info.size, blob_size);
	assert_int_equal(info.ntypes, btf__type_cnt(b) - 1);
	assert_int_equal(info.candidates, 6);
	assert_int_equal(info.rejected, 5);
	assert_int_equal(info.corrupt, 1);
	assert_int_equal(info.split, 1);
	assert_int_equal(info.implausible, 2);
	assert_int_equal(info.not_kernel, 1);
	/* stopped at the blob: the rest of memory was not searched */
	assert_int_equal(info.scanned, at + blob_size);
	assert_true(info.ms >= 0);
	uint32_t raw_size;
	const void *raw = btf__raw_data(b, &raw_size);
	assert_int_equal(raw_size, blob_size);
	assert_memory_equal(raw, blob, blob_size);
	assert_int_equal(get(b, "task_struct", "comm").offset, 32);
	btf__free(b);

	/* exhaustive: everything searched, the end-of-memory header seen */
	struct cp_btf_carve_opts all = { .exhaustive = true };
	assert_ok(cp_btf_carve_opts(mem, &all, &b, &info));
	assert_int_equal(info.paddr, at);
	assert_int_equal(info.candidates, 7);
	assert_int_equal(info.unreadable, 1);
	assert_int_equal(info.scanned, size);
	assert_int_equal(info.alternatives, 0);
	btf__free(b);
	close_image(mem, path);
	free(img);
	free(blob);
}

static void test_carve_alternatives_and_copies(void **state)
{
	(void)state;
	uint32_t blob_size, other_size;
	uint8_t *blob = fixture_blob(&blob_size);
	/* a planted blob that differs: one more type */
	struct btf *planted = fixture_btf();
	assert_true(btf__add_int(planted, "planted", 4, 0) > 0);
	const void *other = btf__raw_data(planted, &other_size);
	const size_t size = 4 * MiB;
	uint8_t *img = calloc(1, size);
	memcpy(img + 0x10000, blob, blob_size);
	memcpy(img + 0x200001, other, other_size);
	memcpy(img + 0x300000, blob, blob_size);
	char *path;
	struct cp_mem *mem = open_image(img, size, &path);
	struct btf *b;
	struct cp_btf_info info;
	struct cp_btf_carve_opts opts = { .exhaustive = true };
	assert_ok(cp_btf_carve_opts(mem, &opts, &b, &info));
	assert_int_equal(info.paddr, 0x10000);
	assert_int_equal(info.alternatives, 1);
	assert_int_equal(info.copies, 1);
	btf__free(b);
	/* near a trusted address the planted one would be chosen */
	opts.near_paddr = 0x200000;
	assert_ok(cp_btf_carve_opts(mem, &opts, &b, &info));
	assert_int_equal(info.paddr, 0x200001);
	assert_int_equal(info.size, other_size);
	assert_true(cp_btf_find(b, "planted", CP_BTF_OTHER) == 0);
	btf__free(b);
	/* the plain carve stops at the first */
	assert_ok(cp_btf_carve(mem, &b, &info));
	assert_int_equal(info.paddr, 0x10000);
	assert_int_equal(info.alternatives, 0);
	btf__free(b);
	close_image(mem, path);
	btf__free(planted);
	free(img);
	free(blob);
}

static void test_carve_nothing(void **state)
{
	(void)state;
	uint32_t blob_size;
	uint8_t *blob = fixture_blob(&blob_size);
	const size_t size = 2 * MiB;
	uint8_t *img = decoy_image(size, blob, blob_size, 0x100000);
	/* spoil the real one: a type refers past the last id */
	uint8_t *real = img + 0x100000;
	struct btf *b;
	memset(real + 24, 0xff, 16);
	char *path;
	struct cp_mem *mem = open_image(img, size, &path);
	struct cp_btf_info info;
	struct cp_error *err = cp_btf_carve(mem, &b, &info);
	assert_int_equal(cp_error_code(err), CP_ERR_NOT_FOUND);
	assert_non_null(strstr(cp_error_message(err), "2 MiB scanned"));
	assert_non_null(strstr(cp_error_message(err), "1 split/module"));
	cp_error_destroy(err);
	assert_int_equal(info.scanned, size);
	close_image(mem, path);
	free(img);
	free(blob);
}

/* A source that cannot be mapped: 1 MiB windows, read through ops. */
static struct cp_error *window_read(struct cp_mem *mem,
				    const struct cp_mem_region *r,
				    uint64_t off, void *buf, size_t len)
{
	memcpy(buf, (const uint8_t *)mem->priv + r->where + off, len);
	return NULL;
}

static const struct cp_mem_ops window_ops = {
	.scheme = "test",
	.read = window_read,
};

static struct cp_mem *window_mem(uint8_t *buf)
{
	struct cp_mem *mem = calloc(1, sizeof(*mem));
	assert_non_null(mem);
	mem->ops = &window_ops;
	mem->fd = -1;
	mem->priv = buf;
	/* 1.5 MiB at 0, a hole, 1 MiB at 2 MiB (file offset 1.5 MiB) */
	assert_ok(cp_mem_add_region(mem, 0, 3 * MiB / 2, 0));
	assert_ok(cp_mem_add_region(mem, 2 * MiB, MiB, 3 * MiB / 2));
	assert_ok(cp_mem_finish_regions(mem));
	return mem;
}

static void test_carve_across_windows(void **state)
{
	(void)state;
	uint32_t blob_size;
	uint8_t *blob = fixture_blob(&blob_size);
	uint8_t *buf = calloc(1, 5 * MiB / 2);
	/* the header in the overlap of the first two windows: seen twice,
	 * counted once; the blob read across the window boundary */
	memcpy(buf + MiB + 8, blob, blob_size);
	struct cp_mem *mem = window_mem(buf);
	assert_null(cp_mem_map(mem, 0, 16));
	struct btf *b;
	struct cp_btf_info info;
	assert_ok(cp_btf_carve(mem, &b, &info));
	assert_int_equal(info.paddr, MiB + 8);
	assert_int_equal(info.candidates, 1);
	assert_int_equal(get(b, "mm_struct", "pgd").offset, 72);
	btf__free(b);
	cp_mem_close(mem);

	/* after the hole, in the second region */
	memset(buf, 0, 5 * MiB / 2);
	memcpy(buf + 3 * MiB / 2 + 0x10, blob, blob_size);
	mem = window_mem(buf);
	assert_ok(cp_btf_carve(mem, &b, &info));
	assert_int_equal(info.paddr, 2 * MiB + 0x10);
	assert_int_equal(info.scanned, 3 * MiB / 2 + 0x10 + blob_size);
	btf__free(b);
	cp_mem_close(mem);
	free(buf);
	free(blob);
}

static void test_parse_blob_checks(void **state)
{
	(void)state;
	uint32_t size;
	uint8_t *blob = fixture_blob(&size);
	struct btf *b;
	assert_ok(cp_btf_parse_blob(blob, size, true, &b));
	btf__free(b);
	assert_error(cp_btf_parse_blob(blob, 10, true, &b), CP_ERR_FORMAT);
	assert_error(cp_btf_parse_blob(blob, size - 1, true, &b),
		     CP_ERR_FORMAT);
	uint32_t psize;
	void *prog = program_blob(&psize);
	assert_error(cp_btf_parse_blob(prog, psize, true, &b),
		     CP_ERR_NOT_FOUND);
	assert_ok(cp_btf_parse_blob(prog, psize, false, &b));
	btf__free(b);
	free(prog);
	/* a member type id past the end: libbpf 1.1 takes it, we do not */
	struct btf *fx = fixture_btf();
	uint32_t list = cp_btf_find(fx, "list_head", CP_BTF_STRUCT);
	const struct btf_type *t = btf__type_by_id(fx, list);
	size_t off = 24 + (size_t)((const uint8_t *)btf_members(t) -
				  (const uint8_t *)btf__type_by_id(fx, 1)) +
		     4;
	btf__free(fx);
	put32(blob + off, 0x00ffffff);
	assert_error(cp_btf_parse_blob(blob, size, false, &b), CP_ERR_CORRUPT);
	free(blob);
}

/* Real guest RAM from the lab, when the environment points at it. */
static void test_carve_lab_guest(void **state)
{
	(void)state;
	const char *raw = getenv("CLOUDPROBE_TEST_RAW");
	const char *sysfs = getenv("CLOUDPROBE_TEST_BTF");
	if (!raw || !sysfs) {
		print_message("  (skipped: set CLOUDPROBE_TEST_RAW and "
			      "CLOUDPROBE_TEST_BTF to carve a lab guest)\n");
		skip();
	}
	struct cp_mem *mem;
	struct btf *carved, *ref;
	struct cp_btf_info info;
	assert_ok(cp_mem_open(raw, &mem));
	assert_ok(cp_btf_carve(mem, &carved, &info));
	assert_ok(cp_btf_load_file(sysfs, true, &ref));
	uint32_t a, c;
	const void *ra = btf__raw_data(carved, &a);
	const void *rc = btf__raw_data(ref, &c);
	assert_int_equal(a, c);
	assert_memory_equal(ra, rc, a);
	print_message("  carved %u bytes, %u types at 0x%llx in %.1f ms, "
		      "%llu bytes scanned, %u candidates\n",
		      info.size, info.ntypes, (unsigned long long)info.paddr,
		      info.ms, (unsigned long long)info.scanned,
		      info.candidates);
	/* for btf_lab_check, which compares them with pahole's */
	static const char *const fields[][2] = {
		{ "task_struct", "comm" },	{ "task_struct", "pid" },
		{ "task_struct", "tasks" },	{ "mm_struct", "pgd" },
		{ "list_head", "next" },	{ "sock_common", "skc_dport" },
		{ "task_struct", "__state" }, { "mm_struct", "mm_mt" },
		{ "sock_common", "skc_daddr" },
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(fields); i++) {
		struct cp_btf_field f;
		assert_ok(cp_btf_field(carved, fields[i][0], fields[i][1], &f));
		print_message("  field %s.%s %llu %llu\n", fields[i][0],
			      fields[i][1], (unsigned long long)f.offset,
			      (unsigned long long)f.size);
	}
	btf__free(carved);
	btf__free(ref);
	cp_mem_close(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_paths),
		cmocka_unit_test(test_lookup_errors),
		cmocka_unit_test(test_same_name_structs),
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_index_agrees),
		cmocka_unit_test(test_type_loops_are_bounded),
		cmocka_unit_test(test_print_like_pahole),
		cmocka_unit_test(test_print_quirks),
		cmocka_unit_test(test_carve_past_decoys),
		cmocka_unit_test(test_carve_alternatives_and_copies),
		cmocka_unit_test(test_carve_nothing),
		cmocka_unit_test(test_carve_across_windows),
		cmocka_unit_test(test_parse_blob_checks),
		cmocka_unit_test(test_carve_lab_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
