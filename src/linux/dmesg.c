/*
 * dmesg.c - the kernel log from the lockless printk ring buffer, and the
 * `dmesg` view (see dmesg.h).
 *
 * The ring (kernel/printk/printk_ringbuffer.h) is three arrays: descriptors
 * (state_var = 2 state bits over a 62-bit id, and the logical positions of
 * the text block), infos (seq, timestamp, lengths, level...) at the same
 * index, and a text data ring of blocks that each begin with their
 * descriptor's id. Ids run from tail_id to head_id; the index of id, of its
 * info and of its seq agree modulo the ring's size (the kernel assigns seq
 * so). A block whose data would cross the end of the ring is stored from
 * offset 0 instead and its begin lpos stays one wrap behind its next.
 *
 * The decoder trusts none of it: every id, state, index, lpos, alignment,
 * block id and length is checked against the copy it was given, and a
 * record that fails is skipped and counted (torn), not repaired. The macros
 * it mirrors (DESC_SV bits, FAILED_LPOS/NO_LPOS, DATA_WRAPS) are the same
 * in 5.10 through 7.x; struct layouts come from BTF.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/dmesg.h"
#include "linux/kread.h"
#include "linux/view.h"
#include "util/cleanup.h"
#include "util/error.h"

/* unsigned long state_var: 2 state bits above the id */
#define DESC_FLAGS_SHIFT 62
#define DESC_ID_MASK ((UINT64_C(1) << DESC_FLAGS_SHIFT) - 1)
#define DESC_STATE(sv) (((sv) >> DESC_FLAGS_SHIFT) & 3)
#define DESC_ID(sv) ((sv) & DESC_ID_MASK)

enum desc_state {
	DESC_RESERVED = 0,
	DESC_COMMITTED = 1,
	DESC_FINALIZED = 2,
	DESC_REUSABLE = 3,
};

#define FAILED_LPOS 0x1
#define NO_LPOS 0x3

/* Bounds on a ring we accept: the kernel's own limit is a 2 GiB log
 * (log_buf_len), far beyond any real guest; these keep copies sane. */
#define PRB_MAX_COUNT_BITS 20
#define PRB_MAX_SIZE_BITS 25
#define PRB_MIN_SIZE_BITS 3

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Does [off, off + len) lie inside a struct of size `size`? */
static bool member_ok(size_t off, size_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static bool layout_ok(const struct cp_prb_layout *l)
{
	if (!l->desc_size || !l->info_size || l->desc_size > 4096 ||
	    l->info_size > 4096)
		return false;
	return member_ok(l->desc_state_var, 8, l->desc_size) &&
	       member_ok(l->desc_begin, 8, l->desc_size) &&
	       member_ok(l->desc_next, 8, l->desc_size) &&
	       member_ok(l->info_seq, 8, l->info_size) &&
	       member_ok(l->info_ts_nsec, 8, l->info_size) &&
	       member_ok(l->info_text_len, 2, l->info_size) &&
	       member_ok(l->info_facility, 1, l->info_size) &&
	       member_ok(l->info_caller_id, 4, l->info_size) &&
	       member_ok(l->info_bits_byte, 1, l->info_size) &&
	       l->flags_shift + l->flags_width <= 8 &&
	       l->level_shift + l->level_width <= 8 &&
	       member_ok(l->info_subsystem, l->subsystem_size, l->info_size) &&
	       member_ok(l->info_device, l->device_size, l->info_size);
}

static void torn(struct cp_prb_stats *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void torn(struct cp_prb_stats *st, const char *fmt, ...)
{
	if (st->torn++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
		va_end(ap);
	}
}

/* A fixed char array of the info, NUL-terminated into out[outsz]. */
static void copy_name(char *out, size_t outsz, const uint8_t *src, size_t n)
{
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, src, n);
	out[n] = '\0';
}

/*
 * Where the text of a block lies in the data ring: *off and *len (the
 * block, id included). False for an lpos pair no writer makes.
 */
static bool block_span(unsigned size_bits, uint64_t begin, uint64_t next,
		       uint64_t *off, uint64_t *len)
{
	uint64_t size = UINT64_C(1) << size_bits, mask = size - 1;
	if ((begin | next) & 7)
		return false;	/* blocks are aligned to the id's size */
	/* lpos values overflow (they start at -size): compare wraps the way
	 * the kernel does, "begin + size" rather than "wraps(begin) + 1" */
	if (begin >> size_bits == next >> size_bits && begin < next) {
		*off = begin & mask;
		*len = next - begin;
	} else if ((begin + size) >> size_bits != next >> size_bits) {
		return false;
	} else if ((next & mask) == 0) {
		/* ends exactly at the ring's end (kernels that do not wrap
		 * such a block): a wrapped block cannot be empty */
		*off = begin & mask;
		*len = next - begin;
	} else {
		*off = 0;	/* wrapped: the data sits at the start */
		*len = next & mask;
	}
	return *len >= 8 && *off + *len <= size;
}

struct cp_error *cp_prb_decode(const struct cp_prb_image *img,
			       cp_printk_fn *fn, void *arg,
			       struct cp_prb_stats *st)
{
	memset(st, 0, sizeof(*st));
	const struct cp_prb_layout *l = img->layout;
	if (!l || !layout_ok(l))
		return cp_error_create(CP_ERR_CORRUPT,
				       "printk ring: member layout out of bounds");
	if (img->count_bits > PRB_MAX_COUNT_BITS ||
	    img->size_bits < PRB_MIN_SIZE_BITS ||
	    img->size_bits > PRB_MAX_SIZE_BITS)
		return cp_error_create(CP_ERR_CORRUPT,
				       "printk ring: %u descriptor bits, %u data "
				       "bits (accepted: <= %d, %d..%d)",
				       img->count_bits, img->size_bits,
				       PRB_MAX_COUNT_BITS, PRB_MIN_SIZE_BITS,
				       PRB_MAX_SIZE_BITS);
	uint64_t count = UINT64_C(1) << img->count_bits;
	uint64_t dsize = UINT64_C(1) << img->size_bits;
	if (!img->descs || !img->infos || !img->data ||
	    img->descs_len / l->desc_size < count ||
	    img->infos_len / l->info_size < count || img->data_len < dsize)
		return cp_error_create(CP_ERR_CORRUPT,
				       "printk ring: buffers shorter than %" PRIu64
				       " descriptors and %" PRIu64 " data bytes",
				       count, dsize);
	uint64_t head = img->head_id & DESC_ID_MASK;
	uint64_t tail = img->tail_id & DESC_ID_MASK;
	uint64_t span = (head - tail) & DESC_ID_MASK;
	if (span >= count)
		return cp_error_create(CP_ERR_CORRUPT,
				       "printk ring: head id %" PRIu64 " is %" PRIu64
				       " past tail id %" PRIu64 ", the ring holds %"
				       PRIu64, head, span, tail, count);

	_cleanup_free_ char *text = malloc(UINT16_MAX + 1);
	if (!text)
		return &cp_enomem;
	uint64_t last_seq = 0;
	bool have_seq = false;
	for (uint64_t i = 0; i <= span; i++) {
		uint64_t id = (tail + i) & DESC_ID_MASK;
		uint64_t idx = id & (count - 1);
		const uint8_t *d = img->descs + idx * l->desc_size;
		uint64_t sv = get_u64(d + l->desc_state_var);
		if (DESC_ID(sv) != id) {
			st->lost++;	/* recycled since head/tail were read */
			continue;
		}
		switch (DESC_STATE(sv)) {
		case DESC_RESERVED:
		case DESC_COMMITTED:
			st->pending++;
			continue;
		case DESC_REUSABLE:
			st->lost++;
			continue;
		default:
			break;
		}
		if (img->descs_after &&
		    (memcmp(d + l->desc_state_var,
			    img->descs_after + idx * l->desc_size +
				    l->desc_state_var, 8) ||
		     memcmp(d + l->desc_begin,
			    img->descs_after + idx * l->desc_size +
				    l->desc_begin, 8) ||
		     memcmp(d + l->desc_next,
			    img->descs_after + idx * l->desc_size +
				    l->desc_next, 8))) {
			torn(st, "record id %" PRIu64 " was recycled while "
			     "the ring was copied", id);
			continue;
		}
		const uint8_t *in = img->infos + idx * l->info_size;
		struct cp_printk_record r = { .id = id };
		r.seq = get_u64(in + l->info_seq);
		if ((r.seq & (count - 1)) != idx) {
			torn(st, "record id %" PRIu64 ": seq %" PRIu64
			     " is not at descriptor index %" PRIu64, id, r.seq,
			     idx);
			continue;
		}
		if (have_seq && r.seq <= last_seq) {
			torn(st, "record id %" PRIu64 ": seq %" PRIu64
			     " does not follow seq %" PRIu64, id, r.seq,
			     last_seq);
			continue;
		}
		r.ts_nsec = get_u64(in + l->info_ts_nsec);
		r.text_len = get_u16(in + l->info_text_len);
		r.facility = in[l->info_facility];
		uint8_t bits = in[l->info_bits_byte];
		r.flags = (uint8_t)((bits >> l->flags_shift) &
				    ((1u << l->flags_width) - 1));
		r.level = (uint8_t)((bits >> l->level_shift) &
				    ((1u << l->level_width) - 1));
		r.caller_id = get_u32(in + l->info_caller_id);
		copy_name(r.subsystem, sizeof(r.subsystem),
			  in + l->info_subsystem, l->subsystem_size);
		copy_name(r.device, sizeof(r.device), in + l->info_device,
			  l->device_size);

		uint64_t begin = get_u64(d + l->desc_begin);
		uint64_t next = get_u64(d + l->desc_next);
		if ((begin & 1) && (next & 1)) {
			/* data-less: an empty message, or data that was lost
			 * (FAILED_LPOS); readers skip the latter */
			if (begin != NO_LPOS || next != NO_LPOS ||
			    r.text_len != 0) {
				st->lost++;
				continue;
			}
			text[0] = '\0';
		} else {
			uint64_t off, len;
			if (!block_span(img->size_bits, begin, next, &off,
					&len)) {
				torn(st, "record id %" PRIu64 ": text block "
				     "lpos 0x%" PRIx64 "..0x%" PRIx64
				     " is not one a writer makes", id, begin,
				     next);
				continue;
			}
			uint64_t blk_id = get_u64(img->data + off);
			if ((blk_id & DESC_ID_MASK) != id) {
				torn(st, "record id %" PRIu64 ": its text block "
				     "holds id %" PRIu64, id, blk_id);
				continue;
			}
			if (r.text_len > len - 8) {
				torn(st, "record id %" PRIu64 ": text_len %zu "
				     "exceeds its %" PRIu64 "-byte block", id,
				     r.text_len, len - 8);
				continue;
			}
			memcpy(text, img->data + off + 8, r.text_len);
			text[r.text_len] = '\0';
		}
		r.text = text;
		last_seq = r.seq;
		have_seq = true;
		st->records++;
		if (!fn(arg, &r))
			break;
	}
	return NULL;
}

void cp_printk_caller(uint32_t caller_id, char buf[16])
{
	if (caller_id & 0x80000000u)
		snprintf(buf, 16, "C%" PRIu32, caller_id & ~0x80000000u);
	else
		snprintf(buf, 16, "T%" PRIu32, caller_id);
}

/* ------------------------------------------------------ reading a guest */

struct prb_fields {
	struct cp_resolved_field count_bits, descs, infos, head_id, tail_id;
	struct cp_resolved_field size_bits, data;
	struct cp_resolved_field state_var, begin, next;
	struct cp_resolved_field seq, ts_nsec, text_len, facility, flags, level;
	struct cp_resolved_field caller_id, subsystem, device;
};

static struct cp_error *resolve_layout(struct cp_profile *p,
				       struct prb_fields *f,
				       struct cp_prb_layout *l)
{
	const char *rb = "printk_ringbuffer", *de = "prb_desc",
		   *in = "printk_info";
	const struct cp_field_spec specs[] = {
		{ rb, "desc_ring.count_bits", false, &f->count_bits },
		{ rb, "desc_ring.descs", false, &f->descs },
		{ rb, "desc_ring.infos", false, &f->infos },
		{ rb, "desc_ring.head_id", false, &f->head_id },
		{ rb, "desc_ring.tail_id", false, &f->tail_id },
		{ rb, "text_data_ring.size_bits", false, &f->size_bits },
		{ rb, "text_data_ring.data", false, &f->data },
		{ de, "state_var", false, &f->state_var },
		{ de, "text_blk_lpos.begin", false, &f->begin },
		{ de, "text_blk_lpos.next", false, &f->next },
		{ in, "seq", false, &f->seq },
		{ in, "ts_nsec", false, &f->ts_nsec },
		{ in, "text_len", false, &f->text_len },
		{ in, "facility", false, &f->facility },
		{ in, "flags", false, &f->flags },
		{ in, "level", false, &f->level },
		{ in, "caller_id", false, &f->caller_id },
		{ in, "dev_info.subsystem", true, &f->subsystem },
		{ in, "dev_info.device", true, &f->device },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return cp_error_wrap(err, "printk ring buffer");
	uint64_t dsz, isz;
	if ((err = cp_struct_size(p, de, &dsz)) ||
	    (err = cp_struct_size(p, in, &isz)))
		return cp_error_wrap(err, "printk ring buffer");
	/* The decoder reads fixed-width integers; a kernel whose members
	 * changed width is one it does not know. */
	if (f->state_var.size != 8 || f->begin.size != 8 ||
	    f->next.size != 8 || f->seq.size != 8 || f->ts_nsec.size != 8 ||
	    f->text_len.size != 2 || f->facility.size != 1 ||
	    f->caller_id.size != 4 || f->flags.offset != f->level.offset ||
	    !f->flags.bit_size || !f->level.bit_size)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "printk ring buffer: member widths differ "
				       "from the 5.10+ layout");
	*l = (struct cp_prb_layout){
		.desc_size = dsz,
		.desc_state_var = f->state_var.offset,
		.desc_begin = f->begin.offset,
		.desc_next = f->next.offset,
		.info_size = isz,
		.info_seq = f->seq.offset,
		.info_ts_nsec = f->ts_nsec.offset,
		.info_text_len = f->text_len.offset,
		.info_facility = f->facility.offset,
		.info_caller_id = f->caller_id.offset,
		.info_bits_byte = f->flags.offset,
		.flags_shift = f->flags.bit_offset,
		.flags_width = f->flags.bit_size,
		.level_shift = f->level.bit_offset,
		.level_width = f->level.bit_size,
	};
	if (f->subsystem.found) {
		l->info_subsystem = f->subsystem.offset;
		l->subsystem_size = f->subsystem.size;
	}
	if (f->device.found) {
		l->info_device = f->device.offset;
		l->device_size = f->device.size;
	}
	return NULL;
}

static struct cp_error *read_field(struct cp_profile *p, uint64_t base,
				   const struct cp_resolved_field *f,
				   uint64_t *ret)
{
	return cp_read_uint(p, base + f->offset, f->size, ret);
}

struct cp_error *cp_dmesg_walk(struct cp_profile *p, cp_printk_fn *fn,
			       void *arg, struct cp_prb_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct prb_fields f;
	struct cp_prb_layout l;
	struct cp_error *err = resolve_layout(p, &f, &l);
	if (err)
		return err;
	uint64_t prb_sym, rb;
	if (!cp_profile_symbol(p, "prb", &prb_sym))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "dmesg: no symbol prb (kernel before "
				       "5.10, or no kallsyms)");
	if ((err = cp_read_ptr(p, prb_sym, &rb)))
		return cp_error_wrap(err, "dmesg: prb");
	if (!rb)
		return cp_error_create(CP_ERR_CORRUPT, "dmesg: prb is NULL");

	uint64_t count_bits, descs, infos, head_id, tail_id, size_bits, data;
	if ((err = read_field(p, rb, &f.count_bits, &count_bits)) ||
	    (err = read_field(p, rb, &f.descs, &descs)) ||
	    (err = read_field(p, rb, &f.infos, &infos)) ||
	    (err = read_field(p, rb, &f.size_bits, &size_bits)) ||
	    (err = read_field(p, rb, &f.data, &data)) ||
	    (err = read_field(p, rb, &f.head_id, &head_id)) ||
	    (err = read_field(p, rb, &f.tail_id, &tail_id)))
		return cp_error_wrap(err, "dmesg: printk_ringbuffer at 0x%"
				     PRIx64, rb);
	if (count_bits > PRB_MAX_COUNT_BITS || size_bits < PRB_MIN_SIZE_BITS ||
	    size_bits > PRB_MAX_SIZE_BITS || !cp_kernel_ptr_ok(descs) ||
	    !cp_kernel_ptr_ok(infos) || !cp_kernel_ptr_ok(data))
		return cp_error_create(CP_ERR_CORRUPT,
				       "dmesg: printk_ringbuffer at 0x%" PRIx64
				       " is implausible (%" PRIu64 " descriptor "
				       "bits, %" PRIu64 " data bits)", rb,
				       count_bits, size_bits);
	size_t count = (size_t)1 << count_bits;
	size_t dlen = count * l.desc_size, ilen = count * l.info_size;
	size_t tlen = (size_t)1 << size_bits;
	_cleanup_free_ uint8_t *d1 = malloc(dlen);
	_cleanup_free_ uint8_t *d2 = malloc(dlen);
	_cleanup_free_ uint8_t *ib = malloc(ilen);
	_cleanup_free_ uint8_t *tb = malloc(tlen);
	if (!d1 || !d2 || !ib || !tb)
		return &cp_enomem;
	/* Order matters: a descriptor unchanged between d1 and d2 was not
	 * recycled while its info and text were copied in between. */
	if ((err = cp_kread(p, descs, d1, dlen)) ||
	    (err = cp_kread(p, infos, ib, ilen)) ||
	    (err = cp_kread(p, data, tb, tlen)) ||
	    (err = cp_kread(p, descs, d2, dlen)))
		return cp_error_wrap(err, "dmesg: copying the ring "
				     "(%zu descriptors, %zu text bytes)", count,
				     tlen);
	struct cp_prb_image img = {
		.layout = &l,
		.count_bits = (unsigned)count_bits,
		.head_id = head_id,
		.tail_id = tail_id,
		.descs = d1,
		.descs_after = d2,
		.infos = ib,
		.descs_len = dlen,
		.infos_len = ilen,
		.size_bits = (unsigned)size_bits,
		.data = tb,
		.data_len = tlen,
	};
	if ((err = cp_prb_decode(&img, fn, arg, st)))
		return cp_error_wrap(err, "dmesg");
	if (st->torn)
		return cp_error_create(CP_ERR_PARTIAL,
				       "dmesg: %zu of %zu records skipped as torn "
				       "or invalid; first: %s", st->torn,
				       st->torn + st->records, st->reason);
	return NULL;
}

/* ------------------------------------------------------------- the view */

static const struct cp_out_col dmesg_cols[] = {
	{ "seq", NULL, CP_COL_UINT },
	{ "time", NULL, CP_COL_STR },
	{ "ts_nsec", NULL, CP_COL_UINT },
	{ "level", NULL, CP_COL_UINT },
	{ "facility", NULL, CP_COL_UINT },
	{ "caller", NULL, CP_COL_STR },
	{ "cont", NULL, CP_COL_BOOL },
	{ "subsystem", NULL, CP_COL_STR },
	{ "device", NULL, CP_COL_STR },
	{ "text", NULL, CP_COL_STR },
};

struct dmesg_emit {
	struct cp_sink *sink;
	struct cp_error *err;
};

static bool emit_record(void *arg, const struct cp_printk_record *r)
{
	struct dmesg_emit *e = arg;
	struct cp_sink *s = e->sink;
	char ts[32], caller[16];
	/* dmesg's "[%5lu.%06lu]" without the padding */
	snprintf(ts, sizeof(ts), "%" PRIu64 ".%06" PRIu64,
		 r->ts_nsec / 1000000000u, r->ts_nsec % 1000000000u / 1000u);
	cp_printk_caller(r->caller_id, caller);
	cp_sink_u64(s, r->seq);
	cp_sink_str(s, ts);
	cp_sink_u64(s, r->ts_nsec);
	cp_sink_u64(s, r->level);
	cp_sink_u64(s, r->facility);
	cp_sink_str(s, caller);
	cp_sink_bool(s, (r->flags & CP_PRINTK_CONT) != 0);
	cp_sink_str(s, r->subsystem[0] ? r->subsystem : NULL);
	cp_sink_str(s, r->device[0] ? r->device : NULL);
	cp_sink_str(s, r->text);
	e->err = cp_sink_row_end(s);
	return e->err == NULL;
}

static struct cp_error *dmesg_produce(struct cp_profile *p,
				      const struct cp_view_args *args,
				      struct cp_sink *sink)
{
	(void)args;
	struct dmesg_emit e = { .sink = sink };
	struct cp_prb_stats st;
	struct cp_error *err = cp_dmesg_walk(p, emit_record, &e, &st);
	if (e.err) {
		cp_error_destroy(err);
		return e.err;
	}
	return err;
}

const struct cp_view cp_view_dmesg = {
	.name = "dmesg",
	.sql_name = "dmesg",
	.args = "",
	.summary = "kernel log records from the printk ring buffer",
	.cols = dmesg_cols,
	.ncols = CP_ARRAY_SIZE(dmesg_cols),
	.produce = dmesg_produce,
};
