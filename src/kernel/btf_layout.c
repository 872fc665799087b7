/*
 * btf_layout.c - what pahole's BTF loader derives from a struct.
 *
 * BTF gives members and bit offsets; pahole additionally reports holes,
 * bit holes, tail padding, forced alignments and __packed__, all inferred
 * (BTF records no alignment). To print what `pahole -C` prints, this file
 * infers them by pahole's rules (dwarves 1.24: class__fixup_btf_bitfields,
 * class__infer_alignment, class__find_holes,
 * class__infer_packed_attributes), written anew:
 *
 *  - a bitfield lives in a storage unit of its type's size, aligned to
 *    that size, and is reported at the unit's offset;
 *  - a gap before a member is a forced alignment when rounding the gap up
 *    to a power of two exceeds the member's natural alignment; it is
 *    promoted to the 64-byte cacheline when the offset is a multiple;
 *  - a struct with neither holes nor padding is packed when a member sits
 *    at an offset its natural alignment forbids, or its size is not a
 *    multiple of its strictest member's alignment. (pahole also marks the
 *    types of misplaced members packed, a side effect on other structs'
 *    printing that depends on printing order; that is left out.)
 *
 * Natural alignments recurse through nested structs, so they are
 * memoised per type id and cycles (a forged struct containing itself)
 * count as alignment 1. Not for: printing (btf_print.c).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/btf.h"
#include "kernel/btf_pahole.h"
#include "util/error.h"

struct cp_error *cp_pahole_init(struct cp_pahole *p, const struct btf *btf)
{
	memset(p, 0, sizeof(*p));
	p->btf = btf;
	p->ntypes = btf__type_cnt(btf);
	p->align = calloc(p->ntypes, 1);
	p->busy = calloc(p->ntypes, 1);
	if (!p->align || !p->busy) {
		cp_pahole_deinit(p);
		return &cp_enomem;
	}
	return NULL;
}

void cp_pahole_deinit(struct cp_pahole *p)
{
	free(p->align);
	free(p->busy);
	p->align = p->busy = NULL;
}

const struct btf_type *cp_pahole_type(const struct cp_pahole *p, uint32_t id)
{
	return id ? btf__type_by_id(p->btf, id) : NULL;
}

const char *cp_pahole_name(const struct cp_pahole *p, uint32_t off)
{
	const char *s = btf__name_by_offset(p->btf, off);
	return s && *s ? s : NULL;
}

/* pahole's tag__size: 8 for pointers, empty structs of size 1 are 0. */
uint64_t cp_pahole_size(const struct cp_pahole *p, uint32_t id)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	if (!t)
		return 0;
	if (btf_is_ptr(t))
		return 8;
	if (btf_is_func_proto(t))
		return 0;
	if (btf_is_composite(t) && t->size == 1 && btf_vlen(t) == 0)
		return 0;
	int64_t s = btf__resolve_size(p->btf, id);
	return s > 0 ? (uint64_t)s : 0;
}

static uint64_t natural_alignment(struct cp_pahole *p, uint32_t id, int depth);

static uint64_t aggregate_alignment(struct cp_pahole *p, uint32_t id, int depth)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	const struct btf_member *m = btf_members(t);
	uint64_t max = 0;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		uint64_t a = natural_alignment(
			p, cp_btf_strip(p->btf, m[i].type), depth + 1);
		if (a > max)
			max = a;
	}
	return max;
}

/* pahole's tag__natural_alignment, memoised per type id. */
static uint64_t natural_alignment(struct cp_pahole *p, uint32_t id, int depth)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	uint64_t a = 1;
	if (!t || depth > CP_PAHOLE_MAX_DEPTH)
		return 1;
	if (p->align[id])
		return (uint64_t)1 << (p->align[id] - 1);
	if (p->busy[id])
		return 1;
	p->busy[id] = 1;
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		a = 8;
		break;
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		a = t->size;
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		a = aggregate_alignment(p, id, depth);
		break;
	case BTF_KIND_ARRAY:
		a = natural_alignment(
			p, cp_btf_strip(p->btf, btf_array(t)->type), depth + 1);
		break;
	default:
		break;
	}
	p->busy[id] = 0;
	if (a == 0 || (a & (a - 1)))
		a = 1;
	unsigned log = 0;
	while (((uint64_t)1 << log) < a)
		log++;
	p->align[id] = (uint8_t)(log + 1);
	return a;
}

/* pahole's class__infer_alignment. */
static uint64_t infer_alignment(uint64_t byte_offset, uint64_t natural,
				uint64_t smallest)
{
	if (byte_offset <= smallest)
		return 0;
	uint64_t delta = byte_offset - smallest, a = 0;
	if (byte_offset % 2 == 0 && delta < (1u << 31)) {
		a = 1;
		while (a <= delta)
			a <<= 1;
	}
	if (a <= natural || a == 1)
		return 0;
	if (a < CP_PAHOLE_CACHELINE && CP_PAHOLE_CACHELINE % a == 0 &&
	    byte_offset % CP_PAHOLE_CACHELINE == 0)
		return CP_PAHOLE_CACHELINE;
	return a;
}

/* pahole's class__find_holes (structs only). */
static void find_holes(struct cp_pahole_layout *L)
{
	int64_t cur_bitfield_end = (int64_t)L->size * 8, cur_bitfield_size = 0;
	int64_t last_seen_bit = 0;
	bool in_bitfield = false;
	struct cp_pahole_member *last = NULL;
	for (uint16_t i = 0; i < L->n; i++) {
		struct cp_pahole_member *pos = &L->m[i];
		int64_t bit_start = (int64_t)pos->bit_offset;
		int64_t bit_end =
			bit_start + (pos->bitfield_size ?
					     (int64_t)pos->bitfield_size :
					     (int64_t)pos->byte_size * 8);
		int64_t bit_holes = 0, byte_holes = 0;
		pos->hole = pos->bit_hole = 0;
		if (in_bitfield) {
			int64_t end = bit_start < cur_bitfield_end ?
					      bit_start :
					      cur_bitfield_end;
			bit_holes = end - last_seen_bit;
			last_seen_bit = end;
		}
		if (pos->bitfield_size) {
			int64_t aligned_start = (int64_t)pos->byte_offset * 8;
			if (last_seen_bit < aligned_start &&
			    aligned_start <= bit_start) {
				byte_holes = (int64_t)pos->byte_offset -
					     last_seen_bit / 8;
				last_seen_bit = aligned_start;
			}
			bit_holes += bit_start - last_seen_bit;
		} else {
			byte_holes = bit_start / 8 - last_seen_bit / 8;
		}
		last_seen_bit = bit_end;
		if (pos->bitfield_size) {
			int64_t unit = (int64_t)pos->byte_size * 8;
			in_bitfield = true;
			if (bit_end > cur_bitfield_end ||
			    unit > cur_bitfield_size) {
				cur_bitfield_size = unit;
				cur_bitfield_end =
					(int64_t)pos->byte_offset * 8 +
					cur_bitfield_size;
				if (bit_end > cur_bitfield_end)
					cur_bitfield_end += cur_bitfield_size;
			}
		} else {
			in_bitfield = false;
			cur_bitfield_size = 0;
			cur_bitfield_end = bit_end;
		}
		if (last) {
			last->hole = byte_holes;
			last->bit_hole = bit_holes;
		} else {
			L->pre_hole = byte_holes;
			L->pre_bit_hole = bit_holes;
		}
		L->nr_bit_holes += bit_holes != 0;
		L->nr_holes += byte_holes != 0;
		last = pos;
	}
	if (in_bitfield) {
		int64_t end = (int64_t)L->size * 8 < cur_bitfield_end ?
				      (int64_t)L->size * 8 :
				      cur_bitfield_end;
		L->bit_padding = end - last_seen_bit;
		last_seen_bit = end;
	}
	L->padding = (int64_t)L->size - last_seen_bit / 8;
}

/* pahole's class__infer_packed_attributes, without its side effects on
 * other types. */
static bool infer_packed(struct cp_pahole *p, const struct cp_pahole_layout *L)
{
	if (!L->is_struct || L->padding || L->nr_holes)
		return false;
	uint64_t max = 1;
	for (uint16_t i = 0; i < L->n; i++) {
		uint64_t a = natural_alignment(
			p, cp_btf_strip(p->btf, L->m[i].type), 0);
		if (a == 1)
			continue;
		if (a > max)
			max = a;
		if (L->m[i].byte_offset % a)
			return true;
	}
	return (max != 1 && L->alignment == 1) || L->size % max != 0;
}

void cp_pahole_layout_free(struct cp_pahole_layout *L)
{
	free(L->m);
	L->m = NULL;
}

/* Computes what pahole's loader and hole finder know about struct id. */
bool cp_pahole_layout(struct cp_pahole *p, uint32_t id,
		      struct cp_pahole_layout *L)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	memset(L, 0, sizeof(*L));
	L->id = id;
	L->is_struct = btf_is_struct(t);
	L->size = t->size;
	L->n = btf_vlen(t);
	L->m = calloc(L->n ? L->n : 1, sizeof(*L->m));
	if (!L->m)
		return false;
	const struct btf_member *bm = btf_members(t);
	uint64_t smallest = 0;
	for (uint16_t i = 0; i < L->n; i++) {
		struct cp_pahole_member *m = &L->m[i];
		uint32_t stripped = cp_btf_strip(p->btf, bm[i].type);
		const struct btf_type *st = cp_pahole_type(p, stripped);
		m->name = cp_pahole_name(p, bm[i].name_off);
		m->type = bm[i].type;
		m->bit_offset = btf_member_bit_offset(t, i);
		m->bitfield_size = btf_member_bitfield_size(t, i);
		m->byte_size = cp_pahole_size(p, stripped);
		m->byte_offset = m->bit_offset / 8;
		if (!m->byte_size)
			continue;
		if (m->bitfield_size && st &&
		    (btf_is_int(st) || btf_is_any_enum(st))) {
			uint64_t unit = m->byte_size * 8;
			m->byte_offset = m->bit_offset / unit * m->byte_size;
			m->bitfield_offset =
				(uint32_t)(m->bit_offset - m->byte_offset * 8);
		}
		m->alignment = infer_alignment(
			m->byte_offset, natural_alignment(p, stripped, 0),
			smallest);
		smallest = m->byte_offset + m->byte_size;
	}
	L->alignment = infer_alignment(L->size, natural_alignment(p, id, 0),
				       smallest);
	if (L->is_struct)
		find_holes(L);
	L->packed = infer_packed(p, L);
	return true;
}
