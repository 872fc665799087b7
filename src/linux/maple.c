/*
 * maple.c - the bounded maple tree walker (see maple.h for the format).
 *
 * A depth-first walk with an explicit stack of at most CP_MAPLE_MAX_DEPTH
 * frames, each holding one node's bytes, read once. Invariants checked on
 * every node before anything in it is followed:
 *   - the encoded pointer names a known, non-dense node type and a kernel
 *     address aligned to CP_MAPLE_NODE_SIZE;
 *   - the node's used slot count (ma_data_end) fits its arrays;
 *   - every slot's range is non-empty, inside the parent's slot range,
 *     and pivots strictly increase, so children partition their parent
 *     and no index is yielded twice, whatever a forger writes;
 *   - internal slots in use hold nodes; leaf slots hold entries or NULL.
 * Ranges strictly shrink going down and the depth is bounded, so even a
 * child pointing back at an ancestor terminates; max_nodes bounds work.
 *
 * Not for: the kernel's RCU rules (we read a snapshot, or a live guest
 * that may tear under us: a torn node fails validation and is reported).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "linux/maple.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MAPLE_TYPE_SHIFT 3	/* MAPLE_NODE_TYPE_SHIFT */
#define MAPLE_TYPE_MASK 0xfu	/* MAPLE_NODE_TYPE_MASK */
#define MAPLE_NODE_MASK 0xffull
#define MAPLE_RESERVED_RANGE 4096

static bool xa_is_internal(uint64_t v)
{
	return (v & 3) == 2;
}

/* The root slot holds a node (not a single entry). */
static bool xa_is_node(uint64_t v)
{
	return xa_is_internal(v) && v > MAPLE_RESERVED_RANGE;
}

/* Values the tree uses internally (XA_ZERO_ENTRY, retry markers). */
static bool mt_is_reserved(uint64_t v)
{
	return v < MAPLE_RESERVED_RANGE && xa_is_internal(v);
}

struct cp_error *cp_maple_kread(void *ctx, uint64_t va, void *buf, size_t len)
{
	return cp_kread(ctx, va, buf, len);
}

/* --------------------------------------------------------------- layout */

static struct cp_error *node_layout(struct cp_profile *p, const char *type,
				    bool has_gap, struct cp_maple_node_layout *l)
{
	struct cp_resolved_field pivot, slot, meta, end;
	const struct cp_field_spec specs[] = {
		{ type, "pivot", false, &pivot },
		{ type, "slot", false, &slot },
		{ type, "meta", false, &meta },
		{ "maple_metadata", "end", false, &end },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return err;
	l->known = true;
	l->meta_end_always = has_gap;
	l->pivot_off = (uint32_t)pivot.offset;
	l->slot_off = (uint32_t)slot.offset;
	l->meta_end_off = (uint32_t)(meta.offset + end.offset);
	l->npivots = (uint32_t)(pivot.size / 8);
	l->nslots = (uint32_t)(slot.size / 8);
	if (l->nslots == 0 || l->nslots > CP_MAPLE_MAX_SLOTS ||
	    l->npivots + 1 != l->nslots ||
	    l->pivot_off + pivot.size > CP_MAPLE_NODE_SIZE ||
	    l->slot_off + slot.size > CP_MAPLE_NODE_SIZE ||
	    l->meta_end_off >= CP_MAPLE_NODE_SIZE)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "maple tree: %s has %u pivots and %u "
				       "slots at %u/%u, not a layout this "
				       "walker reads", type, l->npivots,
				       l->nslots, l->pivot_off, l->slot_off);
	return NULL;
}

struct cp_error *cp_maple_layout_resolve(struct cp_profile *p,
					 struct cp_maple_layout *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct cp_resolved_field root;
	const struct cp_field_spec specs[] = {
		{ "maple_tree", "ma_root", false, &root },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, 1);
	if (err)
		return cp_error_wrap(err, "maple tree");
	ret->root_off = (uint32_t)root.offset;
	/* enum maple_type: leaf_64 and range_64 share struct maple_range_64. */
	static const struct {
		const char *enumerator, *type;
		bool leaf, gap;
	} types[] = {
		{ "maple_leaf_64", "maple_range_64", true, false },
		{ "maple_range_64", "maple_range_64", false, false },
		{ "maple_arange_64", "maple_arange_64", false, true },
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(types); i++) {
		int64_t v;
		if ((err = cp_enum_value(p, types[i].enumerator, &v)))
			return cp_error_wrap(err, "maple tree node types");
		if (v < 0 || v > (int64_t)MAPLE_TYPE_MASK)
			return cp_error_create(CP_ERR_UNSUPPORTED,
					       "maple tree: %s = %" PRId64,
					       types[i].enumerator, v);
		struct cp_maple_node_layout *l = &ret->type[v];
		if ((err = node_layout(p, types[i].type, types[i].gap, l)))
			return cp_error_wrap(err, "maple tree");
		l->leaf = types[i].leaf;
	}
	return NULL;
}

/* ----------------------------------------------------------------- walk */

struct frame {
	uint64_t addr;		/* node address (decoded) */
	const struct cp_maple_node_layout *l;
	uint64_t min, max;	/* the range this node covers */
	uint64_t next_min;	/* first index of slot `at` */
	unsigned at, end;	/* next slot; last used slot */
	uint8_t buf[CP_MAPLE_NODE_SIZE];
};

static uint64_t node_u64(const struct frame *f, uint32_t off, unsigned i)
{
	uint64_t v;
	memcpy(&v, f->buf + off + 8 * (size_t)i, sizeof(v));
	return v;
}

/*
 * ma_data_end(): the index of the last used slot. A full node has no room
 * for metadata; a node whose last pivot is 0 keeps its end in metadata.
 */
static bool data_end(const struct frame *f, unsigned *end)
{
	const struct cp_maple_node_layout *l = f->l;
	unsigned last = l->npivots - 1;
	uint64_t piv = node_u64(f, l->pivot_off, last);
	unsigned e;
	if (l->meta_end_always)
		e = f->buf[l->meta_end_off];
	else if (piv == 0)
		e = f->buf[l->meta_end_off];
	else if (piv == f->max)
		e = last;
	else
		e = l->npivots;
	if (e >= l->nslots)
		return false;
	*end = e;
	return true;
}

/* Decodes and reads the node behind an encoded pointer into f. */
static bool node_load(struct cp_maple_walk *w, struct frame *f,
		      uint64_t enode, uint64_t min, uint64_t max,
		      struct cp_walk_stop *stop)
{
	unsigned type = (unsigned)(enode >> MAPLE_TYPE_SHIFT) & MAPLE_TYPE_MASK;
	uint64_t addr = enode & ~MAPLE_NODE_MASK;
	if (!cp_kernel_ptr_ok(addr)) {
		cp_walk_stop_set(stop, "maple tree: node pointer 0x%" PRIx64
				 " is not a kernel address", enode);
		return false;
	}
	if (!w->layout->type[type].known) {
		cp_walk_stop_set(stop, "maple tree: node 0x%" PRIx64 " has "
				 "type %u, not one this walker reads", addr,
				 type);
		return false;
	}
	size_t max_nodes = w->max_nodes ? w->max_nodes : (size_t)1 << 20;
	if (w->nodes >= max_nodes) {
		cp_walk_stop_set(stop, "maple tree: more than %zu nodes",
				 max_nodes);
		return false;
	}
	struct cp_error *err = w->read(w->read_ctx, addr, f->buf,
				       sizeof(f->buf));
	if (err) {
		cp_walk_stop_set(stop, "maple tree: node 0x%" PRIx64 ": %s",
				 addr, cp_error_message(err));
		cp_error_destroy(err);
		return false;
	}
	w->nodes++;
	f->addr = addr;
	f->l = &w->layout->type[type];
	f->min = f->next_min = min;
	f->max = max;
	f->at = 0;
	if (!data_end(f, &f->end)) {
		cp_walk_stop_set(stop, "maple tree: node 0x%" PRIx64 " claims "
				 "more slots than its type has", addr);
		return false;
	}
	return true;
}

/*
 * The range of slot f->at: [f->next_min, *last]. mas_logical_pivot(): past
 * the pivots, or at the last used slot, or a 0 pivot after slot 0, the
 * range runs to the node's max.
 */
static bool slot_range(const struct frame *f, uint64_t *last,
		       struct cp_walk_stop *stop)
{
	uint64_t piv;
	if (f->at >= f->l->npivots || f->at == f->end)
		piv = f->max;
	else
		piv = node_u64(f, f->l->pivot_off, f->at);
	if (piv == 0 && f->at > 0)
		piv = f->max;
	if (piv < f->next_min || piv > f->max) {
		cp_walk_stop_set(stop, "maple tree: node 0x%" PRIx64 " slot %u "
				 "pivot 0x%" PRIx64 " outside 0x%" PRIx64
				 "..0x%" PRIx64 " (pivots must increase)",
				 f->addr, f->at, piv, f->next_min, f->max);
		return false;
	}
	*last = piv;
	return true;
}

void cp_maple_walk_root(struct cp_maple_walk *w, uint64_t root,
			cp_maple_entry_fn *fn, void *arg,
			struct cp_walk_stop *stop)
{
	w->nodes = w->entries = 0;
	w->depth = 0;
	if (!root)
		return;
	if (!xa_is_node(root)) {
		/* A single entry at index 0 (mas_store_root). */
		if (!mt_is_reserved(root)) {
			w->entries++;
			fn(arg, 0, 0, root);
		}
		return;
	}
	/* One node buffer per level: 31 * ~300 bytes, on the heap. */
	struct frame *stack = calloc(CP_MAPLE_MAX_DEPTH, sizeof(*stack));
	if (!stack) {
		cp_walk_stop_set(stop, "maple tree: out of memory");
		return;
	}
	size_t depth = 0;
	if (!node_load(w, &stack[0], root, 0, UINT64_MAX, stop))
		goto out;
	depth = 1;
	w->depth = 1;
	while (depth) {
		struct frame *f = &stack[depth - 1];
		/* Done with this node once past its last slot or its max. */
		if (f->at > f->end ||
		    (f->at > 0 && f->next_min == 0) /* wrapped past max */) {
			depth--;
			continue;
		}
		uint64_t first = f->next_min, last;
		if (!slot_range(f, &last, stop))
			goto out;
		uint64_t slot = node_u64(f, f->l->slot_off, f->at);
		f->at++;
		f->next_min = last + 1;	/* 0 after UINT64_MAX: see above */
		if (last == f->max)
			f->at = f->end + 1;
		if (f->l->leaf) {
			if (!slot || mt_is_reserved(slot))
				continue;
			w->entries++;
			if (!fn(arg, first, last, slot))
				goto out;
			continue;
		}
		if (!slot) {
			cp_walk_stop_set(stop, "maple tree: internal node 0x%"
					 PRIx64 " has an empty slot %u",
					 f->addr, f->at - 1);
			goto out;
		}
		if (depth == CP_MAPLE_MAX_DEPTH) {
			cp_walk_stop_set(stop, "maple tree: deeper than %d "
					 "levels", CP_MAPLE_MAX_DEPTH);
			goto out;
		}
		if (!node_load(w, &stack[depth], slot, first, last, stop))
			goto out;
		depth++;
		if (depth > w->depth)
			w->depth = (unsigned)depth;
	}
out:
	free(stack);
}

void cp_maple_walk(struct cp_maple_walk *w, uint64_t tree_va,
		   cp_maple_entry_fn *fn, void *arg, struct cp_walk_stop *stop)
{
	uint64_t root;
	struct cp_error *err = w->read(w->read_ctx,
				       tree_va + w->layout->root_off, &root,
				       sizeof(root));
	if (err) {
		cp_walk_stop_set(stop, "maple tree at 0x%" PRIx64 ": %s",
				 tree_va, cp_error_message(err));
		cp_error_destroy(err);
		w->nodes = w->entries = 0;
		return;
	}
	cp_maple_walk_root(w, root, fn, arg, stop);
}
