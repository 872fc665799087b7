/*
 * kallsyms_layout.c - the families of kallsyms table layouts, as data.
 *
 * scripts/kallsyms.c writes the tables as consecutive arrays in .rodata,
 * each label aligned to ALGN. Which arrays, in which order, and how an
 * offset becomes an address changed a few times; each family is one
 * descriptor below, and nothing else in src/kernel/kallsyms*.c knows a
 * kernel version. The carver and the VMCOREINFO reader try descriptors in
 * this order and keep the first whose predicted positions and contents
 * hold: layouts differ enough (alignment, a relative_base that must be a
 * kernel pointer, a permutation that must be one) that at most one fits.
 *
 * Verified on guests (see tests/lab-tools/ksyms-compare): Debian
 * 6.1.0-57 (both flavours: "6.2-6.3", Debian backported the name index),
 * 6.12.95 ("6.4-6.14"), 7.2.13 ("7.0+"). The "4.6-6.1" and "6.15-6.19"
 * families are built from the upstream script and tested synthetically.
 *
 * This file is not for reading memory: it only computes positions.
 */
#include "kernel/kallsyms_internal.h"

const struct ks_layout ks_layouts[] = {
	{
		/* a081b5789255 "kallsyms: Get rid of kallsyms relative base"
		 * (7.0 merge window): offsets are relative to their own
		 * address (scripts/kallsyms --pc-relative), no relative_base;
		 * with no pointer left, labels are 4-aligned (seen on 7.2). */
		.name = "7.0+",
		.since = "7.0: a081b5789255 place-relative offsets, "
			 "no kallsyms_relative_base",
		.align = 4,
		.encoding = KS_PLACE_RELATIVE,
		.seq_size = 3,
		.ntables = 7,
		.order = { KS_NUM_SYMS, KS_NAMES, KS_MARKERS, KS_TOKEN_TABLE,
			   KS_TOKEN_INDEX, KS_OFFSETS, KS_SEQS },
	},
	{
		/* x86-64 per-CPU variables became ordinary kernel addresses
		 * and KALLSYMS_ABSOLUTE_PERCPU was removed (6.15): offsets
		 * are plain u32 from relative_base. */
		.name = "6.15-6.19",
		.since = "6.15: no absolute per-CPU symbols, "
			 "offsets unsigned from kallsyms_relative_base",
		.align = 8,
		.encoding = KS_BASE_RELATIVE,
		.seq_size = 3,
		.ntables = 8,
		.order = { KS_NUM_SYMS, KS_NAMES, KS_MARKERS, KS_TOKEN_TABLE,
			   KS_TOKEN_INDEX, KS_OFFSETS, KS_RELATIVE_BASE,
			   KS_SEQS },
	},
	{
		/* 404bad70fcf7 "scripts/kallsyms: change the output order"
		 * (6.4): the address arrays move after the token index. */
		.name = "6.4-6.14",
		.since = "6.4: 404bad70fcf7 tables reordered, "
			 "addresses after kallsyms_token_index",
		.align = 8,
		.encoding = KS_ABSOLUTE_PERCPU,
		.seq_size = 3,
		.ntables = 8,
		.order = { KS_NUM_SYMS, KS_NAMES, KS_MARKERS, KS_TOKEN_TABLE,
			   KS_TOKEN_INDEX, KS_OFFSETS, KS_RELATIVE_BASE,
			   KS_SEQS },
	},
	{
		/* 60443c88f3a8 "kallsyms: Improve the performance of
		 * kallsyms_lookup_name()" and 19bd8981dc2e (3-byte entries)
		 * (6.2): kallsyms_seqs_of_names after the markers. Debian's
		 * 6.1.y carries the backport. */
		.name = "6.2-6.3",
		.since = "6.2: 60443c88f3a8 kallsyms_seqs_of_names "
			 "(also in Debian 6.1.y)",
		.align = 8,
		.encoding = KS_ABSOLUTE_PERCPU,
		.seq_size = 3,
		.ntables = 8,
		.order = { KS_OFFSETS, KS_RELATIVE_BASE, KS_NUM_SYMS,
			   KS_NAMES, KS_MARKERS, KS_SEQS, KS_TOKEN_TABLE,
			   KS_TOKEN_INDEX },
	},
	{
		/* 2213e9a66bb8 "kallsyms: add support for relative offsets in
		 * kallsyms address table" (4.6); 73bbb94466fd two-byte name
		 * lengths (6.1) are read by every layout. */
		.name = "4.6-6.1",
		.since = "4.6: 2213e9a66bb8 base-relative offsets",
		.align = 8,
		.encoding = KS_ABSOLUTE_PERCPU,
		.seq_size = 0,
		.ntables = 7,
		.order = { KS_OFFSETS, KS_RELATIVE_BASE, KS_NUM_SYMS,
			   KS_NAMES, KS_MARKERS, KS_TOKEN_TABLE,
			   KS_TOKEN_INDEX },
	},
};

const size_t ks_nlayouts = sizeof(ks_layouts) / sizeof(ks_layouts[0]);

bool ks_layout_has(const struct ks_layout *layout, enum ks_table t)
{
	for (unsigned i = 0; i < layout->ntables; i++)
		if (layout->order[i] == t)
			return true;
	return false;
}

uint64_t ks_table_size(const struct ks_geometry *g, enum ks_table t)
{
	uint64_t n = g->num_syms;
	switch (t) {
	case KS_OFFSETS:
		return 4 * n;
	case KS_RELATIVE_BASE:
		return 8;
	case KS_NUM_SYMS:
		return 4;
	case KS_NAMES:
		return g->names_len;
	case KS_MARKERS:
		return 4 * ((n + 255) / 256);
	case KS_SEQS:
		return (uint64_t)g->layout->seq_size * n;
	case KS_TOKEN_TABLE:
		return g->token_table_len;
	case KS_TOKEN_INDEX:
		return KS_TOKEN_INDEX_SIZE;
	case KS_NTABLES:
		break;
	}
	return 0;
}

static uint64_t align_down(uint64_t x, unsigned a)
{
	return x & ~(uint64_t)(a - 1);
}

bool ks_place(struct ks_geometry *g, enum ks_table known, uint64_t paddr)
{
	const struct ks_layout *l = g->layout;
	unsigned k = l->ntables;
	for (unsigned i = 0; i < KS_NTABLES; i++)
		g->pa[i] = UINT64_MAX;
	for (unsigned i = 0; i < l->ntables; i++)
		if (l->order[i] == known)
			k = i;
	if (k == l->ntables || paddr % l->align)
		return false;
	g->pa[known] = paddr;
	/* Forward: each table starts at the next aligned address. */
	for (unsigned i = k + 1; i < l->ntables; i++) {
		uint64_t prev = g->pa[l->order[i - 1]];
		uint64_t end = prev + ks_table_size(g, l->order[i - 1]);
		if (end < prev || end > UINT64_MAX - l->align)
			return false;
		g->pa[l->order[i]] = align_down(end + l->align - 1, l->align);
	}
	/* Backward: the padding after a table is below align, so its start
	 * is the aligned address at or below next - size. */
	for (unsigned i = k; i-- > 0;) {
		uint64_t next = g->pa[l->order[i + 1]];
		uint64_t size = ks_table_size(g, l->order[i]);
		if (size > next)
			return false;
		g->pa[l->order[i]] = align_down(next - size, l->align);
	}
	return true;
}

bool ks_markers_before_token_table(const struct ks_layout *layout,
				   uint32_t num_syms, uint64_t token_table_pa,
				   uint64_t *markers_pa)
{
	/* Only the tables between the markers and the token table matter,
	 * and their sizes depend on num_syms alone: place with made-up
	 * lengths for the others. */
	struct ks_geometry g = {
		.layout = layout,
		.num_syms = num_syms,
		.names_len = 1,
		.token_table_len = 1,
	};
	if (!ks_place(&g, KS_TOKEN_TABLE, token_table_pa))
		return false;
	unsigned m = 0, t = 0;
	for (unsigned i = 0; i < layout->ntables; i++) {
		if (layout->order[i] == KS_MARKERS)
			m = i;
		if (layout->order[i] == KS_TOKEN_TABLE)
			t = i;
	}
	if (m >= t)
		return false;
	*markers_pa = g.pa[KS_MARKERS];
	return true;
}
