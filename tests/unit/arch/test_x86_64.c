/*
 * Unit tests for x86-64 address translation on page tables built here, in
 * a raw image: 4- and 5-level walks, 2 MiB and 1 GiB pages, holes named by
 * level, a self-referencing entry, entries pointing past RAM, permissions,
 * the translation cache, strings, batches and PTI. With
 * CLOUDPROBE_TEST_LAB=1, also a real 6.1 guest: linux_banner and init_task
 * read through init_top_pgt (from VMCOREINFO) and through the guest's CR3.
 */
#include "unit.h"
#include "fake_mem.h"
#include "lab_guest.h"
#include "arch/x86_64.h"

#define PAGE 4096ull
#define MiB (1ull << 20)
#define IMG_SIZE (8 * MiB)
#define P CP_X86_PTE_PRESENT
#define RW CP_X86_PTE_RW
#define US CP_X86_PTE_USER
#define PS CP_X86_PTE_PSE
#define NX CP_X86_PTE_NX
#define TABLE_FLAGS (P | RW | US)

/* A guest-physical image and a bump allocator for table pages. */
struct img {
	uint8_t *mem;
	uint64_t next_table;	/* tables live in [1 MiB, 2 MiB) */
	unsigned levels;
};

static void img_init(struct img *im, unsigned levels)
{
	im->mem = calloc(1, IMG_SIZE);
	assert_non_null(im->mem);
	im->next_table = 1 * MiB;
	im->levels = levels;
	for (size_t i = 0; i < IMG_SIZE; i += 8) {	/* recognisable data */
		uint64_t v = 0x5a5a000000000000ull | i;
		if (i >= 1 * MiB && i < 2 * MiB)
			continue;	/* tables start zeroed */
		memcpy(im->mem + i, &v, 8);
	}
}

static uint64_t img_table(struct img *im)
{
	uint64_t t = im->next_table;
	im->next_table += PAGE;
	assert_true(im->next_table <= 2 * MiB);
	return t;
}

static uint64_t *entry(struct img *im, uint64_t table, unsigned idx)
{
	return (uint64_t *)(im->mem + table + idx * 8ull);
}

/*
 * Maps va to pa with a leaf at `leaf_level` (0: 4 KiB PTE, 1: 2 MiB PMD,
 * 2: 1 GiB PUD); intermediate tables get `flags`, the leaf `leaf_flags`.
 */
static void map(struct img *im, uint64_t root, uint64_t va, uint64_t pa,
		unsigned leaf_level, uint64_t flags, uint64_t leaf_flags)
{
	uint64_t table = root;
	for (unsigned level = im->levels; level-- > leaf_level + 1;) {
		uint64_t *e = entry(im, table, (va >> (12 + 9 * level)) & 511);
		if (!(*e & P))
			*e = img_table(im) | flags;
		table = *e & CP_X86_PTE_ADDR_MASK;
	}
	uint64_t *e = entry(im, table, (va >> (12 + 9 * leaf_level)) & 511);
	*e = pa | leaf_flags | (leaf_level ? PS : 0);
}

static struct cp_mem *img_open(struct img *im, char **path)
{
	*path = unit_tmpfile(im->mem, IMG_SIZE);
	assert_non_null(*path);
	char *u;
	assert_true(asprintf(&u, "raw:%s", *path) > 0);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(u, &mem));
	free(u);
	return mem;
}

static uint64_t img_u64(struct img *im, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, im->mem + pa, 8);
	return v;
}

/* Asserts expr fails with code and a message containing text. */
#define assert_error_msg(expr, code_, text)                                   \
	do {                                                                  \
		struct cp_error *_e = (expr);                                 \
		if (!_e)                                                      \
			fail_msg("%s succeeded", #expr);                      \
		if (cp_error_code(_e) != (code_) ||                           \
		    !strstr(cp_error_message(_e), (text)))                    \
			fail_msg("%s: code %d, message '%s'; expected %d "   \
				 "with '%s'", #expr, cp_error_code(_e),       \
				 cp_error_message(_e), (code_), (text));      \
		cp_error_destroy(_e);                                         \
	} while (0)

#define KVA 0xffff888000001000ull	/* a direct-map-like kernel address */

static void test_4level_4k_and_cross_page(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	/* Two virtually adjacent pages, physically reversed. */
	map(&im, root, KVA, 0x5000, 0, TABLE_FLAGS, P | RW | NX);
	map(&im, root, KVA + PAGE, 0x3000, 0, TABLE_FLAGS, P | RW | NX);
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));

	struct cp_vas_translation t;
	assert_ok(cp_vas_translate(vas, KVA + 0x123, &t));
	assert_int_equal(t.paddr, 0x5123);
	assert_int_equal(t.page_size, PAGE);
	assert_true(t.writable);
	assert_false(t.executable);
	assert_false(t.user);	/* the leaf lacks US */

	uint8_t buf[64];
	assert_ok(cp_vas_read(vas, KVA + PAGE - 32, buf, sizeof(buf)));
	assert_memory_equal(buf, im.mem + 0x5000 + PAGE - 32, 32);
	assert_memory_equal(buf + 32, im.mem + 0x3000, 32);
	uint64_t v;
	assert_ok(cp_vas_read_u64(vas, KVA + 8, &v));
	assert_int_equal(v, img_u64(&im, 0x5008));
	uint32_t w;
	assert_ok(cp_vas_read_u32(vas, KVA + PAGE - 2, &w));	/* straddles */
	uint32_t want;
	memcpy(&want, im.mem + 0x5000 + PAGE - 2, 2);
	memcpy((uint8_t *)&want + 2, im.mem + 0x3000, 2);
	assert_int_equal(w, want);
	/* The page after the second is not mapped: the PTE is missing. */
	assert_error_msg(cp_vas_read(vas, KVA + 2 * PAGE - 4, buf, 8),
			 CP_ERR_FAULT, "no PTE entry for 0xffff888000003000");
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

static void test_holes_name_the_level(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	map(&im, root, KVA, 0x5000, 0, TABLE_FLAGS, P);
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	struct cp_vas_translation t;
	/* Same PGD and PUD entries, another PMD slot: no PMD entry. */
	uint64_t pud = *entry(&im, *entry(&im, root, (KVA >> 39) & 511) &
					   CP_X86_PTE_ADDR_MASK,
			      (KVA >> 30) & 511);
	char want[128];
	snprintf(want, sizeof(want),
		 "no PMD entry for 0xffff888000400000 (PUD 0x%llx)",
		 (unsigned long long)pud);
	assert_error_msg(cp_vas_translate(vas, KVA + 0x3ff000, &t),
			 CP_ERR_FAULT, want);
	assert_error_msg(cp_vas_translate(vas, 0xffffc90000000000ull, &t),
			 CP_ERR_FAULT, "no PGD entry for 0xffffc90000000000 (root");
	assert_error_msg(cp_vas_translate(vas, 0xffff888040000000ull, &t),
			 CP_ERR_FAULT, "no PUD entry");
	/* Non-canonical addresses never reach the tables. */
	assert_error_msg(cp_vas_translate(vas, 0x0000800000000000ull, &t),
			 CP_ERR_FAULT, "not a canonical address");
	assert_error_msg(cp_vas_translate(vas, 0xfff0888000001000ull, &t),
			 CP_ERR_FAULT, "not a canonical address");
	assert_true(cp_x86_canonical(0x00007fffffffffffull, 4));
	assert_false(cp_x86_canonical(0x0000800000000000ull, 4));
	assert_true(cp_x86_canonical(0x0000800000000000ull, 5));
	assert_false(cp_x86_canonical(0x0100000000000000ull, 5));
	assert_true(cp_x86_canonical(0xff11000000000000ull, 5));
	/* A read that would wrap the address space. */
	uint8_t buf[32];
	assert_error(cp_vas_read(vas, 0xfffffffffffffff0ull, buf, 32),
		     CP_ERR_FAULT);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

static void test_huge_pages(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	/* 2 MiB page at 4 MiB; bit 12 (PAT) set must not move the frame. */
	map(&im, root, 0xffffffff81000000ull, 4 * MiB | (1ull << 12), 1,
	    TABLE_FLAGS, P | RW);
	/* 1 GiB page at 0, mapped at a direct-map-like base. */
	map(&im, root, 0xffff880000000000ull, 0, 2, TABLE_FLAGS, P | RW | NX);
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	struct cp_vas_translation t;
	assert_ok(cp_vas_translate(vas, 0xffffffff81012345ull, &t));
	assert_int_equal(t.paddr, 4 * MiB + 0x12345);
	assert_int_equal(t.page_size, 2 * MiB);
	assert_true(t.executable);
	assert_ok(cp_vas_translate(vas, 0xffff880000765432ull, &t));
	assert_int_equal(t.paddr, 0x765432);
	assert_int_equal(t.page_size, 1ull << 30);
	assert_false(t.executable);
	/* A read spanning many 4 KiB steps inside the huge page is one piece
	 * and matches the image. */
	size_t len = 3 * PAGE + 100;
	uint8_t *buf = malloc(len);
	assert_ok(cp_vas_read(vas, 0xffff880000600f00ull, buf, len));
	assert_memory_equal(buf, im.mem + 0x600f00, len);
	struct cp_vas_stats st;
	cp_vas_get_stats(vas, &st);
	assert_int_equal(st.pages_touched, 1);
	/* The 1 GiB page runs past the 8 MiB image: translation works, the
	 * read does not (a page pointing past RAM). */
	assert_ok(cp_vas_translate(vas, 0xffff880010000000ull, &t));
	assert_int_equal(t.paddr, 0x10000000);
	assert_error_msg(cp_vas_read(vas, 0xffff880010000000ull, buf, 8),
			 CP_ERR_FAULT, "no memory at physical 0x10000000");
	/* A read running off the end of the 2 MiB page into nothing. */
	assert_error(cp_vas_read(vas, 0xffffffff811ffff0ull, buf, 32),
		     CP_ERR_FAULT);
	free(buf);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

static void test_5level(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 5);
	uint64_t root = img_table(&im);
	uint64_t va = 0xff11000000003000ull;	/* LA57 direct map base */
	map(&im, root, va, 0x7000, 0, TABLE_FLAGS, P | RW);
	map(&im, root, 0x00ff000000000000ull, 4 * MiB, 1, TABLE_FLAGS,
	    P | RW | US);
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas5, *vas4;
	assert_ok(cp_vas_create(mem, root, 5, NULL, &vas5));
	struct cp_vas_translation t;
	assert_ok(cp_vas_translate(vas5, va + 0x10, &t));
	assert_int_equal(t.paddr, 0x7010);
	assert_ok(cp_vas_translate(vas5, 0x00ff000000000042ull, &t));
	assert_int_equal(t.paddr, 4 * MiB + 0x42);
	assert_true(t.user);
	assert_error_msg(cp_vas_translate(vas5, 0xff11000000203000ull, &t),
			 CP_ERR_FAULT, "no PMD entry");
	/* 5-level names: P4D sits between PGD and PUD. */
	assert_error_msg(cp_vas_translate(vas5, 0xff11000040000000ull, &t),
			 CP_ERR_FAULT, "no PUD entry for 0xff11000040000000 (P4D");
	assert_error_msg(cp_vas_translate(vas5, 0xff11008000000000ull, &t),
			 CP_ERR_FAULT, "no P4D entry");
	assert_error_msg(cp_vas_translate(vas5, 0xff12000000000000ull, &t),
			 CP_ERR_FAULT, "no PGD entry");
	/* The same tables read as 4-level mean something else entirely. */
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas4));
	assert_error(cp_vas_translate(vas4, va, &t), CP_ERR_FAULT);
	assert_error(cp_vas_create(mem, root, 3, NULL, &vas4), CP_ERR_USAGE);
	cp_vas_destroy(vas5);
	cp_vas_destroy(vas4);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

static void test_forged_tables(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	/* A self-referencing PGD slot (Windows-style recursion, or a forged
	 * loop): every level lands on the root again, and the walk still
	 * ends after 4 entries, at the root page itself. */
	const unsigned self = 0x1ed;
	*entry(&im, root, self) = root | P | RW;
	uint64_t va = 0xffff000000000000ull | ((uint64_t)self << 39) |
		      ((uint64_t)self << 30) | ((uint64_t)self << 21) |
		      ((uint64_t)self << 12);
	/* A PMD entry pointing at a table past RAM, and a PTE pointing at a
	 * page past RAM. */
	map(&im, root, KVA, 0x7fffffff000ull, 0, TABLE_FLAGS, P | RW);
	map(&im, root, KVA + PAGE, 0x5000, 0, TABLE_FLAGS, P | RW);
	uint64_t *pud = entry(&im, *entry(&im, root, (KVA >> 39) & 511) &
					   CP_X86_PTE_ADDR_MASK,
			      (KVA >> 30) & 511);
	uint64_t pmd_table = *pud & CP_X86_PTE_ADDR_MASK;
	*entry(&im, pmd_table, 5) = 0x40000000000ull | TABLE_FLAGS;
	/* PS set in a PGD entry is reserved. */
	*entry(&im, root, 300) = 0x200000 | P | PS;
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	struct cp_vas_translation t;
	assert_ok(cp_vas_translate(vas, va + 8 * self, &t));
	assert_int_equal(t.paddr, root + 8 * self);
	uint64_t v;
	assert_ok(cp_vas_read_u64(vas, va + 8 * self, &v));
	assert_int_equal(v, root | P | RW);
	/* Past RAM. */
	assert_ok(cp_vas_translate(vas, KVA, &t));
	assert_int_equal(t.paddr, 0x7fffffff000ull);
	assert_error_msg(cp_vas_read_u64(vas, KVA, &v), CP_ERR_FAULT,
			 "no memory at physical 0x7fffffff000");
	assert_error_msg(cp_vas_translate(vas, 0xffff888000a00000ull, &t),
			 CP_ERR_FAULT, "PTE table at physical 0x40000000000");
	assert_error_msg(cp_vas_translate(vas, (300ull << 39) |
						       0xffff000000000000ull,
					  &t),
			 CP_ERR_CORRUPT, "page-size bit");
	/* A pointer read must yield a canonical address. */
	assert_error_msg(cp_vas_read_ptr(vas, KVA + PAGE, &v),
			 CP_ERR_CORRUPT, "not a canonical address");
	assert_ok(cp_vas_read_ptr(vas, va, &v));	/* entry 0: zero */
	assert_int_equal(v, 0);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

static void test_permissions_combine(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	/* User page under a table without US; user page fully US; a page
	 * under a read-only, NX PMD. */
	map(&im, root, 0x400000, 0x5000, 0, P | RW, P | RW | US);
	map(&im, root, 0x7f0000000000ull, 0x6000, 0, TABLE_FLAGS,
	    P | RW | US);
	map(&im, root, 0xffffffffa0000000ull, 0x7000, 0, P | NX, P | RW);
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	struct cp_vas_translation t;
	assert_ok(cp_vas_translate(vas, 0x400000, &t));
	assert_false(t.user);
	assert_true(t.writable);
	assert_ok(cp_vas_translate(vas, 0x7f0000000000ull, &t));
	assert_true(t.user);
	assert_true(t.executable);
	assert_ok(cp_vas_translate(vas, 0xffffffffa0000000ull, &t));
	assert_false(t.writable);
	assert_false(t.executable);
	assert_int_equal(t.leaf & CP_X86_PTE_ADDR_MASK, 0x7000);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

/* The cache on a live-like source (no map): tables are read once a sweep,
 * translations hit, a flush starts over, a shared cache serves two roots. */
static void test_cache_and_counters(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	for (unsigned i = 0; i < 100; i++)
		map(&im, root, KVA + i * PAGE, 0x10000 + i * PAGE, 0,
		    TABLE_FLAGS, P | RW);
	uint64_t root2 = img_table(&im);	/* shares the kernel half */
	memcpy(im.mem + root2 + 2048, im.mem + root + 2048, 2048);
	struct fake_mem *f;
	struct cp_mem *mem = fake_mem_new(im.mem, IMG_SIZE, 0, 0, true, &f);
	struct cp_vas_cache *cache;
	assert_ok(cp_vas_cache_create(1024, 16, &cache));
	struct cp_vas *vas, *vas2;
	assert_ok(cp_vas_create(mem, root, 4, cache, &vas));
	assert_ok(cp_vas_create(mem, root2, 4, cache, &vas2));

	uint64_t v;
	for (unsigned i = 0; i < 100; i++) {
		assert_ok(cp_vas_read_u64(vas, KVA + i * PAGE + 8, &v));
		assert_int_equal(v, img_u64(&im, 0x10000 + i * PAGE + 8));
	}
	struct cp_vas_stats st;
	cp_vas_get_stats(vas, &st);
	assert_int_equal(st.tlb_misses, 100);
	assert_int_equal(st.table_misses, 4);	/* PGD, PUD, PMD, PTE table */
	assert_int_equal(st.table_hits, 4 * 100 - 4);
	assert_int_equal(st.bytes_read, 800);
	assert_int_equal(f->reads, 4 + 100);
	/* Same pages again: all TLB hits, no table reads. */
	for (unsigned i = 0; i < 64; i++)
		assert_ok(cp_vas_read_u64(vas, KVA + i * PAGE, &v));
	cp_vas_get_stats(vas, &st);
	assert_true(st.tlb_hits >= 50);	/* 1024 slots: few collide */
	assert_int_equal(st.table_misses, 4);
	/* The second root reuses the shared kernel tables below its PGD. */
	assert_ok(cp_vas_read_u64(vas2, KVA, &v));
	struct cp_vas_stats st2;
	cp_vas_get_stats(vas2, &st2);
	assert_int_equal(st2.table_misses, 1);	/* only its own PGD */
	/* A flush: the next walk reads the tables again. */
	uint64_t gen = cp_vas_cache_generation(cache);
	cp_vas_flush(vas);
	assert_int_equal(cp_vas_cache_generation(cache), gen + 1);
	assert_ok(cp_vas_read_u64(vas, KVA, &v));
	cp_vas_get_stats(vas, &st);
	assert_int_equal(st.table_misses, 8);
	/* A cache serves one source only. */
	struct cp_vas *other;
	struct fake_mem *f2;
	struct cp_mem *mem2 = fake_mem_new(im.mem, IMG_SIZE, 0, 0, true, &f2);
	assert_error(cp_vas_create(mem2, root, 4, cache, &other), CP_ERR_USAGE);
	cp_mem_close(mem2);
	cp_vas_destroy(vas);
	cp_vas_destroy(vas2);
	cp_vas_cache_destroy(cache);
	cp_mem_close(mem);
	free(im.mem);
}

static void test_strings(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	map(&im, root, KVA, 0x5000, 0, TABLE_FLAGS, P);
	map(&im, root, KVA + PAGE, 0x9000, 0, TABLE_FLAGS, P);
	/* "hello " at the end of page 1, "world" at the start of page 2. */
	memcpy(im.mem + 0x5000 + PAGE - 6, "hello ", 6);
	memcpy(im.mem + 0x9000, "world", 6);
	/* A string whose NUL is the last byte of the second page. */
	memset(im.mem + 0x9000 + 100, 'x', PAGE - 101);
	im.mem[0x9000 + PAGE - 1] = '\0';
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	char *s;
	bool trunc;
	assert_ok(cp_vas_read_string(vas, KVA + PAGE - 6, 64, &s, &trunc));
	assert_string_equal(s, "hello world");
	assert_false(trunc);
	free(s);
	assert_ok(cp_vas_read_string(vas, KVA + PAGE - 6, 8, &s, &trunc));
	assert_string_equal(s, "hello wo");
	assert_true(trunc);
	free(s);
	/* Ends on the last byte of a page whose successor is unmapped. */
	assert_ok(cp_vas_read_string(vas, KVA + PAGE + 100, 1 << 20, &s,
				     &trunc));
	assert_int_equal(strlen(s), PAGE - 101);
	free(s);
	/* No NUL before the hole: an error, not a short string. */
	im.mem[0x9000 + PAGE - 1] = 'x';
	unlink(path);
	free(path);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	mem = img_open(&im, &path);
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	assert_error_msg(cp_vas_read_string(vas, KVA + PAGE + 100, 1 << 20,
					    &s, NULL),
			 CP_ERR_FAULT, "no PTE entry");
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

static void test_batch(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	uint64_t root = img_table(&im);
	for (unsigned i = 0; i < 8; i++)	/* pages in reverse order */
		map(&im, root, KVA + i * PAGE, 0x40000 - i * PAGE, 0,
		    TABLE_FLAGS, P);
	struct fake_mem *f;
	struct cp_mem *mem = fake_mem_new(im.mem, IMG_SIZE, 0, 0, true, &f);
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, 4, NULL, &vas));
	uint8_t a[16], b[2 * PAGE], c[8], d[8];
	struct cp_vas_request reqs[] = {
		{ .va = KVA + 8, .buf = a, .len = sizeof(a) },
		{ .va = KVA + 3 * PAGE + 100, .buf = b, .len = sizeof(b) },
		{ .va = KVA + 9 * PAGE, .buf = c, .len = sizeof(c) },	/* hole */
		{ .va = KVA + 7 * PAGE, .buf = d, .len = sizeof(d) },
	};
	unsigned batches = f->batches, reads = f->reads;
	assert_error_msg(cp_vas_read_batch(vas, reqs, 4), CP_ERR_FAULT,
			 "1 of 4 reads failed, first (#2): no PTE entry");
	assert_true(reqs[0].ok && reqs[1].ok && !reqs[2].ok && reqs[3].ok);
	/* Data reads went out as one batch (the table reads are single). */
	assert_int_equal(f->batches - batches, 1);
	assert_int_equal(f->reads - reads, 4);	/* the four table pages */
	assert_memory_equal(a, im.mem + 0x40000 + 8, sizeof(a));
	assert_memory_equal(b, im.mem + 0x40000 - 3 * PAGE + 100,
			    PAGE - 100);
	assert_memory_equal(b + PAGE - 100, im.mem + 0x40000 - 4 * PAGE,
			    PAGE);
	assert_memory_equal(d, im.mem + 0x40000 - 7 * PAGE, sizeof(d));
	/* A dead source fails every request, with the source's reason. */
	f->dead = true;
	reqs[2].va = KVA;
	assert_error_msg(cp_vas_read_batch(vas, reqs, 4), CP_ERR_OS,
			 "4 of 4 reads failed, first (#0)");
	assert_false(reqs[0].ok || reqs[1].ok || reqs[2].ok || reqs[3].ok);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	free(im.mem);
}

static void test_pti_and_cr3(void **state)
{
	(void)state;
	struct img im;
	img_init(&im, 4);
	im.next_table = 1 * MiB + 2 * PAGE;
	uint64_t kpgd = 1 * MiB, upgd = kpgd + PAGE;	/* 8 KiB pair */
	/* User half: the same entries, NX in the kernel's copy. */
	*entry(&im, upgd, 1) = 0x20000 | TABLE_FLAGS;
	*entry(&im, kpgd, 1) = 0x20000 | TABLE_FLAGS | NX;
	/* Kernel half: full in the kernel copy, only the trampoline in the
	 * user copy. */
	for (unsigned i = 256; i < 300; i++)
		*entry(&im, kpgd, i) = (0x30000 + i * PAGE) | P | RW;
	*entry(&im, upgd, 510) = 0x90000 | P;
	*entry(&im, kpgd, 510) = 0x91000 | P;
	char *path;
	struct cp_mem *mem = img_open(&im, &path);
	assert_int_equal(cp_x86_cr3_pgd(upgd | 0x801 | (1ull << 63)), upgd);
	assert_int_equal(cp_x86_pti_kernel_pgd(upgd), kpgd);
	uint64_t pgd;
	bool pti;
	assert_ok(cp_x86_kernel_pgd(mem, upgd | 0x801, &pgd, &pti));
	assert_true(pti);
	assert_int_equal(pgd, kpgd);
	/* The kernel PGD itself stays. */
	assert_ok(cp_x86_kernel_pgd(mem, kpgd | 0x1, &pgd, &pti));
	assert_false(pti);
	assert_int_equal(pgd, kpgd);
	/* An odd-page PGD of a non-PTI kernel: the page below is unrelated. */
	uint64_t lone = 1 * MiB + 5 * PAGE;
	*entry(&im, lone, 3) = 0x20000 | TABLE_FLAGS;
	cp_mem_close(mem);
	unlink(path);
	free(path);
	mem = img_open(&im, &path);
	assert_ok(cp_x86_kernel_pgd(mem, lone, &pgd, &pti));
	assert_false(pti);
	assert_int_equal(pgd, lone);
	assert_int_equal(cp_x86_levels_from_cr4(0x6b0), 4);
	assert_int_equal(cp_x86_levels_from_cr4(0x16b0), 5);
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(im.mem);
}

/* ------------------------------------------------------------ lab guest */

static uint64_t hex_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

static int64_t g_phys_base;

static void check_banner_and_init_task(struct cp_vas *vas, const char *truth)
{
	_cleanup_free_ char *ksyms = lab_slurp(truth, "kallsyms", NULL);
	_cleanup_free_ char *version = lab_slurp(truth, "version", NULL);
	assert_non_null(ksyms);
	assert_non_null(version);
	version[strcspn(version, "\n")] = '\0';
	uint64_t banner = lab_kallsyms(ksyms, "linux_banner");
	uint64_t init_task = lab_kallsyms(ksyms, "init_task");
	uint64_t pob = lab_kallsyms(ksyms, "page_offset_base");
	assert_true(banner && init_task && pob);

	char *s;
	assert_ok(cp_vas_read_string(vas, banner, 512, &s, NULL));
	s[strcspn(s, "\n")] = '\0';
	assert_string_equal(s, version);
	free(s);

	/* init_task's comm is "swapper/0", within its first pages. */
	size_t len = 4 * PAGE;
	_cleanup_free_ uint8_t *task = malloc(len);
	assert_ok(cp_vas_read(vas, init_task, task, len));
	assert_non_null(memmem(task, len, "swapper/0", 10));

	/* Kernel data is writable, not executable, not user. */
	struct cp_vas_translation t, td;
	assert_ok(cp_vas_translate(vas, init_task, &t));
	assert_true(t.writable);
	assert_false(t.executable);
	assert_false(t.user);
	/* The direct map (page_offset_base) reaches the same physical page,
	 * and the kernel image mapping is pa = va - map base + phys_base. */
	uint64_t base;
	assert_ok(cp_vas_read_ptr(vas, pob, &base));
	assert_int_equal(base & 0xffff800000000000ull, 0xffff800000000000ull);
	assert_ok(cp_vas_translate(vas, base + t.paddr, &td));
	assert_int_equal(td.paddr, t.paddr);
	assert_ok(cp_vas_translate(vas, banner, &t));
	assert_int_equal(t.paddr - (banner - CP_X86_START_KERNEL_MAP),
			 (uint64_t)g_phys_base);
}

static void test_lab_guest(void **state)
{
	(void)state;
	if (!lab_enabled())
		skip();
	char name[32];
	snprintf(name, sizeof(name), "arch-t%d", (int)getpid());
	_cleanup_free_ char *run = lab_up(name, "256M");
	assert_int_equal(lab_run(NULL, "truth", name, NULL), 0);
	char truth[4096], uri[4096];
	snprintf(truth, sizeof(truth), "%s/truth", run);
	snprintf(uri, sizeof(uri), "shm:%s/mem", run);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(uri, &mem));

	/* Root 1: init_top_pgt from VMCOREINFO, made physical with
	 * phys_base (the kernel image mapping: pa = va - map + phys_base). */
	struct cp_vmcoreinfo *vi;
	assert_ok(cp_vmcoreinfo_find(mem, &vi, NULL));
	uint64_t pgt;
	int64_t phys_base, l5 = 0;
	assert_true(cp_vmcoreinfo_symbol(vi, "init_top_pgt", &pgt));
	assert_true(cp_vmcoreinfo_number(vi, "phys_base", &phys_base));
	g_phys_base = phys_base;
	cp_vmcoreinfo_number(vi, "pgtable_l5_enabled", &l5);
	uint64_t root = pgt - CP_X86_START_KERNEL_MAP + (uint64_t)phys_base;
	struct cp_vas *vas;
	assert_ok(cp_vas_create(mem, root, l5 ? 5 : 4, NULL, &vas));
	check_banner_and_init_task(vas, truth);
	/* The kernel image mapping agrees with the same formula. */
	struct cp_vas_translation t;
	assert_ok(cp_vas_translate(vas, pgt, &t));
	assert_int_equal(t.paddr, root);
	cp_vas_destroy(vas);
	cp_vmcoreinfo_destroy(vi);

	/* Root 2: vCPU 0's CR3 from QMP; every PGD shares the kernel half. */
	char *regs = NULL;
	assert_int_equal(lab_run(&regs, "qmp", name, "human-monitor-command",
				 "{\"command-line\":\"info registers\"}",
				 NULL), 0);
	uint64_t cr3 = hex_after(regs, "CR3="), cr4 = hex_after(regs, "CR4=");
	free(regs);
	assert_true(cr3 != 0);
	uint64_t pgd;
	bool pti;
	assert_ok(cp_x86_kernel_pgd(mem, cr3, &pgd, &pti));
	assert_ok(cp_vas_create(mem, pgd, cp_x86_levels_from_cr4(cr4), NULL,
				&vas));
	check_banner_and_init_task(vas, truth);
	cp_vas_destroy(vas);
	cp_mem_close(mem);
	lab_down(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level_4k_and_cross_page),
		cmocka_unit_test(test_holes_name_the_level),
		cmocka_unit_test(test_huge_pages),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_forged_tables),
		cmocka_unit_test(test_permissions_combine),
		cmocka_unit_test(test_cache_and_counters),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_pti_and_cr3),
		cmocka_unit_test(test_lab_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
