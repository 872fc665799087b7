/*
 * Unit tests for the printk ring decoder (src/linux/dmesg.c) on synthetic
 * rings written the way kernel/printk/printk_ringbuffer.c writes them:
 * ids starting at DESC0_ID, lpos at -size (so lpos overflows on the first
 * wrap), blocks
 * that would cross the ring's end stored from offset 0, old records made
 * reusable as the data ring and the descriptor ring wrap. Then the ways a
 * live or hostile guest breaks it: records recycled while copied, forged
 * block ids, lengths, lpos, seqs, and rings whose sizes lie.
 */
#include "unit.h"

#include "linux/dmesg.h"

#define CB 4			/* 16 descriptors */
#define SB 8			/* 256 bytes of text */
#define COUNT (1u << CB)
#define DSIZE (1u << SB)
#define ID_MASK ((UINT64_C(1) << 62) - 1)
#define SV(id, state) (((uint64_t)(state) << 62) | (id))
/*
 * The kernel's DESC0_ID is DESC_ID(-(_DESCS_COUNT + 1)) computed in unsigned
 * int, so real ids start just below 2^32; tests also start them just below
 * 2^62, where the id itself overflows after a few records.
 */
static uint64_t desc0_id = (UINT64_C(0) - (COUNT + 1)) & ID_MASK;
#define DESC0_ID desc0_id

/* 6.1's layout: prb_desc 24 bytes, printk_info 88 */
static const struct cp_prb_layout layout = {
	.desc_size = 24, .desc_state_var = 0, .desc_begin = 8, .desc_next = 16,
	.info_size = 88, .info_seq = 0, .info_ts_nsec = 8, .info_text_len = 16,
	.info_facility = 18, .info_caller_id = 20, .info_bits_byte = 19,
	.flags_shift = 0, .flags_width = 5, .level_shift = 5, .level_width = 3,
	.info_subsystem = 24, .subsystem_size = 16,
	.info_device = 40, .device_size = 48,
};

struct ring {
	uint8_t descs[COUNT * 24], infos[COUNT * 88], data[DSIZE];
	uint64_t head_id, tail_id, head_lpos, nrec;
	uint64_t begin[512];		/* per record k */
	bool wrapped_block;		/* some block was stored from 0 */
};

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void set_desc(struct ring *r, uint64_t idx, uint64_t sv, uint64_t b,
		     uint64_t n)
{
	put64(r->descs + idx * 24, sv);
	put64(r->descs + idx * 24 + 8, b);
	put64(r->descs + idx * 24 + 16, n);
}

static void ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->head_id = r->tail_id = DESC0_ID;
	r->head_lpos = UINT64_C(0) - DSIZE;	/* BLK0_LPOS */
	/* the bootstrap tail: reusable, data-less (FAILED_LPOS) */
	set_desc(r, COUNT - 1, SV(DESC0_ID, 3), 1, 1);
	put64(r->infos, UINT64_C(0) - COUNT);	/* info[0].seq = -count */
}

static uint64_t ring_text_for(uint64_t k, char *buf, size_t size)
{
	/* lengths 3..40 so blocks land everywhere in the ring */
	int n = snprintf(buf, size, "record %llu %.*s", (unsigned long long)k,
			 (int)(k * 7 % 29), "abcdefghijklmnopqrstuvwxyz0123");
	return (uint64_t)n;
}

/* Appends record k (seq k) as prb_reserve + prb_final_commit would. */
static void ring_add(struct ring *r, const char *text, uint8_t level)
{
	uint64_t k = r->nrec++;
	uint64_t id = (DESC0_ID + 1 + k) & ID_MASK, idx = id & (COUNT - 1);
	size_t len = strlen(text);
	uint64_t need = (8 + len + 7) & ~UINT64_C(7);
	uint64_t begin = r->head_lpos, next = begin + need, off;
	if (begin >> SB != next >> SB) {
		/* would cross the end: the data goes to offset 0 */
		put64(r->data + (begin & (DSIZE - 1)), id);
		next = (next & ~(uint64_t)(DSIZE - 1)) + need;
		off = 0;
		r->wrapped_block = true;
	} else {
		off = begin & (DSIZE - 1);
	}
	put64(r->data + off, id);
	memcpy(r->data + off + 8, text, len);
	r->head_lpos = next;
	r->begin[k] = begin;
	set_desc(r, idx, SV(id, 2), begin, next);
	uint8_t *in = r->infos + idx * 88;
	memset(in, 0, 88);
	put64(in, k);
	put64(in + 8, k * 1000003u);
	uint16_t tl = (uint16_t)len;
	memcpy(in + 16, &tl, 2);
	in[19] = (uint8_t)(level << 5);
	uint32_t caller = (uint32_t)k | (k % 2 ? 0x80000000u : 0);
	memcpy(in + 20, &caller, 4);
	r->head_id = id;
	/* push the tail past records whose data or descriptor is gone */
	uint64_t first = k;
	while (first > 0) {
		uint64_t j = first - 1;
		if (k - j >= COUNT || next - r->begin[j] > DSIZE)
			break;
		first = j;
	}
	if (first > 0) {
		for (uint64_t j = first >= COUNT ? first - COUNT : 0; j < first; j++) {
			uint64_t jid = (DESC0_ID + 1 + j) & ID_MASK;
			uint8_t *d = r->descs + (jid & (COUNT - 1)) * 24;
			if ((get64(d) & ID_MASK) == jid)
				put64(d, SV(jid, 3));
		}
		r->tail_id = (DESC0_ID + 1 + first) & ID_MASK;
	}
}

static struct cp_prb_image image_of(const struct ring *r)
{
	return (struct cp_prb_image){
		.layout = &layout, .count_bits = CB,
		.head_id = r->head_id, .tail_id = r->tail_id,
		.descs = r->descs, .descs_len = sizeof(r->descs),
		.infos = r->infos, .infos_len = sizeof(r->infos),
		.size_bits = SB, .data = r->data, .data_len = sizeof(r->data),
	};
}

struct got {
	size_t n;
	uint64_t seq[64];
	char text[64][80];
	uint8_t level[64];
	uint32_t caller[64];
	size_t stop_after;
};

static bool collect(void *arg, const struct cp_printk_record *rec)
{
	struct got *g = arg;
	assert_true(g->n < 64);
	assert_int_equal(strlen(rec->text), rec->text_len);
	g->seq[g->n] = rec->seq;
	snprintf(g->text[g->n], sizeof(g->text[0]), "%s", rec->text);
	g->level[g->n] = rec->level;
	g->caller[g->n] = rec->caller_id;
	g->n++;
	return g->n != g->stop_after;
}

static void test_reads_records_in_order(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	ring_add(&r, "Linux version 6.1", 5);
	ring_add(&r, "Command line: quiet", 6);
	ring_add(&r, "", 4);	/* a block holding only its id */
	struct cp_prb_image img = image_of(&r);
	struct got g = { 0 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	assert_int_equal(g.n, 3);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.torn, 0);
	assert_int_equal(st.lost, 1);	/* the bootstrap tail descriptor */
	assert_int_equal(g.seq[0], 0);
	assert_int_equal(g.seq[2], 2);
	assert_string_equal(g.text[0], "Linux version 6.1");
	assert_string_equal(g.text[1], "Command line: quiet");
	assert_string_equal(g.text[2], "");
	assert_int_equal(g.level[0], 5);
	assert_int_equal(g.level[1], 6);
	char c[16];
	cp_printk_caller(g.caller[1], c);
	assert_string_equal(c, "C1");
	cp_printk_caller(g.caller[2], c);
	assert_string_equal(c, "T2");
}

static void test_empty_ring_yields_nothing(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	struct cp_prb_image img = image_of(&r);
	struct got g = { 0 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	assert_int_equal(g.n, 0);
	assert_int_equal(st.lost, 1);
}

/* Many records: ids, lpos and the data ring all wrap (and lpos overflows
 * past 2^64 on the first wrap); exactly the surviving records come out. */
static void test_wrapped_ring_yields_survivors(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	char buf[80];
	for (uint64_t k = 0; k < 200; k++) {
		ring_text_for(k, buf, sizeof(buf));
		ring_add(&r, buf, (uint8_t)(k % 8));
	}
	assert_true(r.wrapped_block);
	struct cp_prb_image img = image_of(&r);
	struct got g = { 0 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	assert_int_equal(st.torn, 0);
	assert_true(g.n >= 3);
	uint64_t first = 200 - g.n;
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.seq[i], first + i);
		ring_text_for(first + i, buf, sizeof(buf));
		assert_string_equal(g.text[i], buf);
		assert_int_equal(g.level[i], (first + i) % 8);
	}
	assert_int_equal(g.seq[g.n - 1], 199);
}

/* Every record of every wrap position comes out intact. */
static void test_every_prefix_decodes(void **state)
{
	(void)state;
	char buf[80];
	for (uint64_t n = 1; n < 90; n++) {
		struct ring r;
		ring_init(&r);
		for (uint64_t k = 0; k < n; k++) {
			ring_text_for(k, buf, sizeof(buf));
			ring_add(&r, buf, 6);
		}
		struct cp_prb_image img = image_of(&r);
		struct got g = { 0 };
		struct cp_prb_stats st;
		assert_ok(cp_prb_decode(&img, collect, &g, &st));
		assert_int_equal(st.torn, 0);
		assert_true(g.n > 0);
		assert_int_equal(g.seq[g.n - 1], n - 1);
		ring_text_for(n - 1, buf, sizeof(buf));
		assert_string_equal(g.text[g.n - 1], buf);
	}
}

static void test_kernel_initial_ids(void **state)
{
	(void)state;
	uint64_t saved = desc0_id;
	desc0_id = (uint32_t)(0u - (COUNT + 1));	/* as the kernel has it */
	char buf[80];
	struct ring r;
	ring_init(&r);
	for (uint64_t k = 0; k < 50; k++) {
		ring_text_for(k, buf, sizeof(buf));
		ring_add(&r, buf, 3);
	}
	struct cp_prb_image img = image_of(&r);
	struct got g = { 0 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	desc0_id = saved;
	assert_int_equal(st.torn, 0);
	assert_true(g.n >= 3);
	assert_int_equal(g.seq[g.n - 1], 49);
	assert_true(r.head_id < (UINT64_C(1) << 33));
}

static void test_callback_stops_walk(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	for (int i = 0; i < 5; i++)
		ring_add(&r, "x", 6);
	struct cp_prb_image img = image_of(&r);
	struct got g = { .stop_after = 2 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	assert_int_equal(g.n, 2);
}

/* A descriptor that changed between the two copies is skipped. */
static void test_record_recycled_while_copied_is_torn(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	for (int i = 0; i < 4; i++)
		ring_add(&r, "stable text", 6);
	uint8_t after[sizeof(r.descs)];
	memcpy(after, r.descs, sizeof(after));
	uint64_t id1 = (DESC0_ID + 2) & ID_MASK;	/* record 1 */
	put64(after + (id1 & (COUNT - 1)) * 24, SV(id1 + COUNT, 0));
	struct cp_prb_image img = image_of(&r);
	img.descs_after = after;
	struct got g = { 0 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	assert_int_equal(g.n, 3);
	assert_int_equal(st.torn, 1);
	assert_non_null(strstr(st.reason, "recycled"));
	assert_int_equal(g.seq[0], 0);
	assert_int_equal(g.seq[1], 2);
}

/* Forgeries of one record each: that record is skipped as torn. */
static void test_forged_records_are_torn(void **state)
{
	(void)state;
	for (int how = 0; how < 6; how++) {
		struct ring r;
		ring_init(&r);
		for (int i = 0; i < 4; i++)
			ring_add(&r, "hello world", 6);
		uint64_t id = (DESC0_ID + 3) & ID_MASK;	/* record 2 */
		uint64_t idx = id & (COUNT - 1);
		uint8_t *d = r.descs + idx * 24, *in = r.infos + idx * 88;
		uint16_t big = 500;
		switch (how) {
		case 0:	/* block id of another record */
			put64(r.data + (get64(d + 8) & (DSIZE - 1)), id + 1);
			break;
		case 1:	/* text longer than its block */
			memcpy(in + 16, &big, 2);
			break;
		case 2:	/* misaligned lpos */
			put64(d + 8, get64(d + 8) + 4);
			break;
		case 3:	/* next two wraps ahead */
			put64(d + 16, get64(d + 16) + 2 * DSIZE);
			break;
		case 4:	/* seq not at this index */
			put64(in, 7);
			break;
		case 5:	/* seq jumps a lap ahead: the next one goes back */
			put64(in, 2 + COUNT);
			break;
		}
		struct cp_prb_image img = image_of(&r);
		struct got g = { 0 };
		struct cp_prb_stats st;
		assert_ok(cp_prb_decode(&img, collect, &g, &st));
		if (st.torn != 1 || g.n != 3)
			fail_msg("forgery %d: torn %zu, records %zu", how,
				 st.torn, g.n);
		assert_true(st.reason[0] != '\0');
	}
}

static void test_pending_and_lost_records(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	for (int i = 0; i < 4; i++)
		ring_add(&r, "text", 6);
	uint64_t id3 = (DESC0_ID + 4) & ID_MASK, id1 = (DESC0_ID + 2) & ID_MASK;
	uint8_t *d3 = r.descs + (id3 & (COUNT - 1)) * 24;
	put64(d3, SV(id3, 1));			/* committed, not final */
	uint8_t *d1 = r.descs + (id1 & (COUNT - 1)) * 24;
	put64(d1 + 8, 1);			/* FAILED_LPOS: data lost */
	put64(d1 + 16, 1);
	struct cp_prb_image img = image_of(&r);
	struct got g = { 0 };
	struct cp_prb_stats st;
	assert_ok(cp_prb_decode(&img, collect, &g, &st));
	assert_int_equal(g.n, 2);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.lost, 2);		/* bootstrap + failed */
	assert_int_equal(st.torn, 0);
}

static void test_implausible_rings_fail(void **state)
{
	(void)state;
	struct ring r;
	ring_init(&r);
	ring_add(&r, "text", 6);
	struct cp_prb_image img = image_of(&r);
	struct got g = { 0 };
	struct cp_prb_stats st;

	img.head_id = (r.tail_id + COUNT) & ID_MASK;	/* span > ring */
	assert_error(cp_prb_decode(&img, collect, &g, &st), CP_ERR_CORRUPT);
	img = image_of(&r);
	img.size_bits = 40;
	assert_error(cp_prb_decode(&img, collect, &g, &st), CP_ERR_CORRUPT);
	img = image_of(&r);
	img.count_bits = CB + 1;			/* buffers too short */
	assert_error(cp_prb_decode(&img, collect, &g, &st), CP_ERR_CORRUPT);
	img = image_of(&r);
	img.data_len = DSIZE - 1;
	assert_error(cp_prb_decode(&img, collect, &g, &st), CP_ERR_CORRUPT);
	struct cp_prb_layout bad = layout;
	bad.info_device = 80;				/* past info_size */
	img = image_of(&r);
	img.layout = &bad;
	assert_error(cp_prb_decode(&img, collect, &g, &st), CP_ERR_CORRUPT);
	assert_int_equal(g.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_records_in_order),
		cmocka_unit_test(test_empty_ring_yields_nothing),
		cmocka_unit_test(test_wrapped_ring_yields_survivors),
		cmocka_unit_test(test_every_prefix_decodes),
		cmocka_unit_test(test_kernel_initial_ids),
		cmocka_unit_test(test_callback_stops_walk),
		cmocka_unit_test(test_record_recycled_while_copied_is_torn),
		cmocka_unit_test(test_forged_records_are_torn),
		cmocka_unit_test(test_pending_and_lost_records),
		cmocka_unit_test(test_implausible_rings_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
