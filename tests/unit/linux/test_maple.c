/*
 * test_maple - the maple tree walker over synthetic trees laid out as the
 * 6.1 .. 7.x x86-64 kernels lay them out (the offsets the lab kernels'
 * BTF gives: maple_range_64 pivot[15] at 8, slot[16] at 128, meta.end at
 * 248; maple_arange_64 pivot[9] at 8, slot[10] at 80, meta.end at 240),
 * well-formed and forged. Real trees are compared with the guests' own
 * /proc/PID/maps in tests/e2e/test_views_files.py.
 */
#include "unit.h"

#include "linux/maple.h"

#define BASE 0xffff888000000000ull
#define MEM_NODES 64
#define LEAF 1
#define RANGE 2
#define ARANGE 3

static uint8_t mem[MEM_NODES * CP_MAPLE_NODE_SIZE];
static size_t next_node;

static struct cp_maple_layout layout(void)
{
	struct cp_maple_layout l;
	memset(&l, 0, sizeof(l));
	l.root_off = 8;
	const struct cp_maple_node_layout r64 = {
		.known = true, .pivot_off = 8, .slot_off = 128,
		.meta_end_off = 248, .npivots = 15, .nslots = 16,
	};
	l.type[LEAF] = r64;
	l.type[LEAF].leaf = true;
	l.type[RANGE] = r64;
	l.type[ARANGE] = (struct cp_maple_node_layout){
		.known = true, .pivot_off = 8, .slot_off = 80,
		.meta_end_off = 240, .npivots = 9, .nslots = 10,
		.meta_end_always = true,
	};
	return l;
}

static struct cp_error *mem_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	(void)ctx;
	if (va < BASE || va - BASE > sizeof(mem) || len > sizeof(mem) - (va - BASE))
		return cp_error_create(CP_ERR_FAULT, "0x%llx unmapped",
				       (unsigned long long)va);
	memcpy(buf, mem + (va - BASE), len);
	return NULL;
}

static int reset(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	next_node = 1;	/* node 0 holds the struct maple_tree */
	return 0;
}

/* A new zeroed node; returns its address. */
static uint64_t node_new(void)
{
	assert_true(next_node < MEM_NODES);
	return BASE + CP_MAPLE_NODE_SIZE * next_node++;
}

static void put64(uint64_t va, uint64_t v)
{
	memcpy(mem + (va - BASE), &v, 8);
}

static uint64_t enc(uint64_t node, unsigned type)
{
	return node | (uint64_t)type << 3 | 4;	/* mt_mk_node() */
}

static void set_root(uint64_t v)
{
	put64(BASE + 8, v);
}

static void node_set(uint64_t node, unsigned type, unsigned i, uint64_t pivot,
		     uint64_t slot)
{
	const struct cp_maple_layout l = layout();
	if (i < l.type[type].npivots)
		put64(node + l.type[type].pivot_off + 8 * i, pivot);
	put64(node + l.type[type].slot_off + 8 * i, slot);
}

static void node_end(uint64_t node, unsigned type, unsigned end)
{
	const struct cp_maple_layout l = layout();
	mem[node - BASE + l.type[type].meta_end_off] = (uint8_t)end;
}

struct seen {
	size_t n;
	uint64_t first[64], last[64], entry[64];
	size_t stop_after;
};

static bool record(void *arg, uint64_t first, uint64_t last, uint64_t entry)
{
	struct seen *s = arg;
	if (s->n < 64) {
		s->first[s->n] = first;
		s->last[s->n] = last;
		s->entry[s->n] = entry;
	}
	s->n++;
	return !s->stop_after || s->n < s->stop_after;
}

static void walk(struct seen *s, struct cp_walk_stop *stop, size_t max_nodes)
{
	struct cp_maple_layout l = layout();
	struct cp_maple_walk w = {
		.layout = &l, .read = mem_read, .max_nodes = max_nodes,
	};
	memset(stop, 0, sizeof(*stop));
	cp_maple_walk(&w, BASE, record, s, stop);
}

static void test_empty_and_single(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_false(stop.partial);
	assert_int_equal(s.n, 0);
	/* A root that is an entry, not a node: the tree holds index 0. */
	set_root(0xffff888012345678ull);
	walk(&s, &stop, 0);
	assert_false(stop.partial);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.first[0], 0);
	assert_int_equal(s.last[0], 0);
	assert_int_equal(s.entry[0], 0xffff888012345678ull);
}

/* One leaf as the root: a gap, two VMAs, a gap to ULONG_MAX. */
static void test_one_leaf(void **state)
{
	(void)state;
	uint64_t n = node_new();
	node_set(n, LEAF, 0, 0x3fffff, 0);
	node_set(n, LEAF, 1, 0x400fff, 0xffff8880aaaa0000ull);
	node_set(n, LEAF, 2, 0x584fff, 0xffff8880bbbb0000ull);
	node_set(n, LEAF, 3, UINT64_MAX, 0);
	node_end(n, LEAF, 3);
	set_root(enc(n, LEAF) | 2);
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_false(stop.partial);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.first[0], 0x400000);
	assert_int_equal(s.last[0], 0x400fff);
	assert_int_equal(s.first[1], 0x401000);
	assert_int_equal(s.last[1], 0x584fff);
	assert_int_equal(s.entry[1], 0xffff8880bbbb0000ull);
}

/* A full leaf has no metadata: 16 slots, the last ending at max. */
static void test_full_leaf(void **state)
{
	(void)state;
	uint64_t n = node_new();
	for (unsigned i = 0; i < 15; i++)
		node_set(n, LEAF, i, 0x1000 * (i + 1) - 1,
			 0xffff888000100000ull + 0x100 * i);
	node_set(n, LEAF, 15, 0, 0xffff8880001ff000ull);
	set_root(enc(n, LEAF) | 2);
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_false(stop.partial);
	assert_int_equal(s.n, 16);
	assert_int_equal(s.first[15], 0xf000);
	assert_int_equal(s.last[15], UINT64_MAX);
}

/* Two levels: an arange_64 root over three leaves, as an mm tree is. */
static uint64_t build_two_level(uint64_t *leaves)
{
	uint64_t root = node_new();
	for (unsigned k = 0; k < 3; k++) {
		uint64_t leaf = leaves[k] = node_new();
		uint64_t lo = 0x100000ull * (k + 1);
		node_set(leaf, LEAF, 0, lo + 0xfff, 0xffff888000a00000ull + k);
		node_set(leaf, LEAF, 1, lo + 0xfffff, 0);
		node_end(leaf, LEAF, 1);
	}
	/* Children cover [0, 0x1fffff], [0x200000, 0x2fffff], [.., max]. */
	node_set(root, ARANGE, 0, 0x1fffff, enc(leaves[0], LEAF));
	node_set(root, ARANGE, 1, 0x2fffff, enc(leaves[1], LEAF));
	node_set(root, ARANGE, 2, 0, enc(leaves[2], LEAF));
	node_end(root, ARANGE, 2);
	set_root(enc(root, ARANGE) | 2);
	/* Leaf 0 starts at 0: its first slot must cover 0..0x100fff. */
	node_set(leaves[0], LEAF, 0, 0xfffff, 0);
	node_set(leaves[0], LEAF, 1, 0x100fff, 0xffff888000a00000ull);
	node_set(leaves[0], LEAF, 2, 0x1fffff, 0);
	node_end(leaves[0], LEAF, 2);
	return root;
}

static void test_two_levels(void **state)
{
	(void)state;
	uint64_t leaves[3];
	build_two_level(leaves);
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_false(stop.partial);
	assert_int_equal(s.n, 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(s.first[k], 0x100000ull * (k + 1));
		assert_int_equal(s.last[k], 0x100000ull * (k + 1) + 0xfff);
	}
	/* The callback can stop the walk. */
	struct seen t = { .stop_after = 2 };
	walk(&t, &stop, 0);
	assert_int_equal(t.n, 2);
	assert_false(stop.partial);
	/* A node bound below the tree's size stops with a reason. */
	struct seen u = { 0 };
	walk(&u, &stop, 2);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "more than 2 nodes"));
	assert_int_equal(u.n, 1);	/* the root and the first leaf */
}

static void test_reserved_entries_skipped(void **state)
{
	(void)state;
	uint64_t n = node_new();
	node_set(n, LEAF, 0, 0xfff, 0x406);	/* XA_ZERO_ENTRY */
	node_set(n, LEAF, 1, 0x1fff, 0xffff888000c00000ull);
	node_set(n, LEAF, 2, UINT64_MAX, 0);
	node_end(n, LEAF, 2);
	set_root(enc(n, LEAF) | 2);
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_false(stop.partial);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.first[0], 0x1000);
}

static void test_forged_pivots(void **state)
{
	(void)state;
	uint64_t n = node_new();
	node_set(n, LEAF, 0, 0x5000, 0xffff888000d00000ull);
	node_set(n, LEAF, 1, 0x3000, 0xffff888000e00000ull);	/* goes back */
	node_set(n, LEAF, 2, UINT64_MAX, 0);
	node_end(n, LEAF, 2);
	set_root(enc(n, LEAF) | 2);
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "pivots must increase"));
	assert_int_equal(s.n, 1);	/* what came before is kept */
}

static void test_forged_children(void **state)
{
	(void)state;
	uint64_t leaves[3];
	uint64_t root = build_two_level(leaves);
	struct seen s = { 0 };
	struct cp_walk_stop stop;

	/* A child outside kernel space. */
	node_set(root, ARANGE, 1, 0x2fffff, enc(0x00007f0000000000ull, LEAF));
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "not a kernel address"));
	assert_int_equal(s.n, 1);

	/* A child of an unknown type (dense nodes are not read). */
	node_set(root, ARANGE, 1, 0x2fffff, enc(leaves[1], 0));
	s.n = 0;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "type 0"));

	/* A child pointing back at the root: its pivots fall outside the
	 * child's range, so the walk stops instead of looping. */
	node_set(root, ARANGE, 1, 0x2fffff, enc(root, ARANGE));
	s.n = 0;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_true(s.n < 10);

	/* Metadata claiming more slots than the node has. */
	node_set(root, ARANGE, 1, 0x2fffff, enc(leaves[1], LEAF));
	node_end(root, ARANGE, 12);
	s.n = 0;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "more slots"));
	assert_int_equal(s.n, 0);

	/* An empty internal slot. */
	node_end(root, ARANGE, 2);
	node_set(root, ARANGE, 1, 0x2fffff, 0);
	s.n = 0;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "empty slot"));
	assert_int_equal(s.n, 1);

	/* Unreadable node. */
	node_set(root, ARANGE, 1, 0x2fffff, enc(BASE + 0x100000000ull, LEAF));
	s.n = 0;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "unmapped"));
}

/* Internal nodes chained 40 deep, each with one child covering all. */
static void test_depth_bound(void **state)
{
	(void)state;
	uint64_t nodes[40];
	for (unsigned i = 0; i < 40; i++)
		nodes[i] = node_new();
	for (unsigned i = 0; i < 39; i++) {
		node_set(nodes[i], RANGE, 0, 0, enc(nodes[i + 1], RANGE));
		node_end(nodes[i], RANGE, 0);
	}
	node_end(nodes[39], RANGE, 0);
	set_root(enc(nodes[0], RANGE) | 2);
	struct seen s = { 0 };
	struct cp_walk_stop stop;
	walk(&s, &stop, 0);
	assert_true(stop.partial);
	assert_non_null(strstr(stop.reason, "deeper than 31"));
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty_and_single, reset),
		cmocka_unit_test_setup(test_one_leaf, reset),
		cmocka_unit_test_setup(test_full_leaf, reset),
		cmocka_unit_test_setup(test_two_levels, reset),
		cmocka_unit_test_setup(test_reserved_entries_skipped, reset),
		cmocka_unit_test_setup(test_forged_pivots, reset),
		cmocka_unit_test_setup(test_forged_children, reset),
		cmocka_unit_test_setup(test_depth_bound, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
