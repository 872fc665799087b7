/*
 * Unit tests for cp_mem_read_batch(): windows of at most 1024 pieces per
 * source call, requests cut at region edges, a hole or a bad page failing
 * only its own request, a dead source failing all that remain, and the
 * same results from sources without a read_batch op (one read a request)
 * and from mapped files.
 */
#include "unit.h"
#include "fake_mem.h"

#define SIZE (1u << 20)

static uint8_t *pattern(void)
{
	uint8_t *p = malloc(SIZE);
	assert_non_null(p);
	for (size_t i = 0; i < SIZE; i++)
		p[i] = (uint8_t)(i * 13 + (i >> 12));
	return p;
}

static void test_windows_and_holes(void **state)
{
	(void)state;
	uint8_t *img = pattern();
	struct fake_mem *f;
	/* A hole at [256 KiB, 320 KiB). */
	struct cp_mem *mem = fake_mem_new(img, SIZE, 0x40000, 0x50000, true, &f);
	f->max_chunks = 1024;
	enum { N = 3000 };
	static uint8_t bufs[N][16];
	static struct cp_mem_request r[N];
	for (size_t i = 0; i < N; i++)
		r[i] = (struct cp_mem_request){ .paddr = (i * 331) % (SIZE - 16),
						.buf = bufs[i], .len = 16 };
	struct cp_error *err = cp_mem_read_batch(mem, r, N);
	size_t in_hole = 0;
	for (size_t i = 0; i < N; i++) {
		uint64_t a = r[i].paddr;
		bool hole = a + 16 > 0x40000 && a < 0x50000;
		in_hole += hole;
		assert_int_equal(r[i].ok, !hole);
		if (!hole)
			assert_memory_equal(bufs[i], img + a, 16);
	}
	assert_true(in_hole > 0);
	assert_non_null(err);
	assert_int_equal(cp_error_code(err), CP_ERR_FAULT);
	char want[64];
	snprintf(want, sizeof(want), "%zu of %d batched reads failed, first: "
		 "no memory at physical", in_hole, N);
	assert_non_null(strstr(cp_error_message(err), want));
	cp_error_destroy(err);
	/* Holes never reach the source: 3000 - in_hole pieces, in windows of
	 * at most 1024 (checked by the fake), i.e. 3 calls. */
	assert_int_equal(f->chunks, N - in_hole);
	assert_int_equal(f->batches, 3);
	assert_int_equal(f->reads, 0);
	assert_int_equal(cp_mem_bytes_read(mem), (N - in_hole) * 16);

	/* No requests, and empty requests, succeed. */
	assert_ok(cp_mem_read_batch(mem, r, 0));
	r[0].len = 0;
	assert_ok(cp_mem_read_batch(mem, r, 1));
	assert_true(r[0].ok);
	cp_mem_close(mem);
	free(img);
}

static void test_fault_and_death(void **state)
{
	(void)state;
	uint8_t *img = pattern();
	struct fake_mem *f;
	struct cp_mem *mem = fake_mem_new(img, SIZE, 0, 0, true, &f);
	uint8_t b[5][8];
	struct cp_mem_request r[5];
	for (size_t i = 0; i < 5; i++)
		r[i] = (struct cp_mem_request){ 0x1000 * (i + 1), b[i], 8, 0 };
	/* A bad host page under request 2: it alone fails; the source is
	 * called again for the rest. */
	f->fault_at = 0x3004;
	struct cp_error *err = cp_mem_read_batch(mem, r, 5);
	assert_non_null(err);
	assert_int_equal(cp_error_code(err), CP_ERR_FAULT);
	assert_non_null(strstr(cp_error_message(err), "1 of 5 batched reads "
			       "failed, first: fake: bad address 0x3004"));
	cp_error_destroy(err);
	assert_true(r[0].ok && r[1].ok && !r[2].ok && r[3].ok && r[4].ok);
	assert_memory_equal(b[4], img + 0x5000, 8);
	assert_int_equal(f->batches, 2);

	/* The source dies: everything fails, and it is asked only once. */
	f->fault_at = 0;
	f->dead = true;
	unsigned before = f->batches;
	err = cp_mem_read_batch(mem, r, 5);
	assert_non_null(err);
	assert_int_equal(cp_error_code(err), CP_ERR_OS);
	assert_non_null(strstr(cp_error_message(err), "5 of 5 batched reads "
			       "failed, first: fake: process exited"));
	cp_error_destroy(err);
	for (size_t i = 0; i < 5; i++)
		assert_false(r[i].ok);
	assert_int_equal(f->batches - before, 1);
	cp_mem_close(mem);
	free(img);
}

/* Without read_batch: one read a request, same results. */
static void test_fallback_one_by_one(void **state)
{
	(void)state;
	uint8_t *img = pattern();
	struct fake_mem *f;
	struct cp_mem *mem = fake_mem_new(img, SIZE, 0x8000, 0x9000, false, &f);
	uint8_t b[4][32];
	struct cp_mem_request r[] = {
		{ 0x100, b[0], 32, 0 },
		{ 0x8ff0, b[1], 32, 0 },	/* into the hole */
		{ 0x9000, b[2], 32, 0 },
		{ SIZE - 16, b[3], 32, 0 },	/* off the end */
	};
	struct cp_error *err = cp_mem_read_batch(mem, r, 4);
	assert_non_null(err);
	assert_int_equal(cp_error_code(err), CP_ERR_FAULT);
	assert_non_null(strstr(cp_error_message(err), "2 of 4"));
	cp_error_destroy(err);
	assert_true(r[0].ok && !r[1].ok && r[2].ok && !r[3].ok);
	assert_memory_equal(b[2], img + 0x9000, 32);
	assert_int_equal(f->batches, 0);
	f->dead = true;
	unsigned reads = f->reads;
	assert_error(cp_mem_read_batch(mem, r, 4), CP_ERR_OS);
	assert_int_equal(f->reads - reads, 1);	/* stopped at the first */
	cp_mem_close(mem);
	free(img);
}

/* Requests across adjacent regions are cut into pieces and joined. */
static void test_across_regions(void **state)
{
	(void)state;
	uint8_t *img = pattern();
	struct fake_mem *f;
	struct cp_mem *mem = fake_mem_new(img, SIZE, 0x8000, 0x8000, true, &f);
	assert_int_equal(cp_mem_range_count(mem), 2);
	uint8_t a[64];
	struct cp_mem_request r = { 0x8000 - 20, a, sizeof(a), 0 };
	assert_ok(cp_mem_read_batch(mem, &r, 1));
	assert_true(r.ok);
	assert_memory_equal(a, img + 0x8000 - 20, sizeof(a));
	assert_int_equal(f->chunks, 2);
	cp_mem_close(mem);
	free(img);
}

/* A mapped file (no read ops): the batch reads request by request. */
static void test_mapped_source(void **state)
{
	(void)state;
	uint8_t *img = pattern();
	_cleanup_free_ char *path = unit_tmpfile(img, SIZE);
	_cleanup_free_ char *uri = NULL;
	assert_true(asprintf(&uri, "raw:%s", path) > 0);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(uri, &mem));
	uint8_t a[100], b[8];
	struct cp_mem_request r[] = { { 4000, a, sizeof(a), 0 },
				      { SIZE - 4, b, 8, 0 } };
	assert_error(cp_mem_read_batch(mem, r, 2), CP_ERR_FAULT);
	assert_true(r[0].ok && !r[1].ok);
	assert_memory_equal(a, img + 4000, sizeof(a));
	cp_mem_close(mem);
	unlink(path);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_and_holes),
		cmocka_unit_test(test_fault_and_death),
		cmocka_unit_test(test_fallback_one_by_one),
		cmocka_unit_test(test_across_regions),
		cmocka_unit_test(test_mapped_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
