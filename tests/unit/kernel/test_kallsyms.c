/*
 * Unit tests for kallsyms decoding and carving on synthetic guest RAM.
 *
 * synth_build() does what scripts/kallsyms.c does for each layout family:
 * a token table (every used character its own token, multi-character
 * tokens in the free codes, one of them carrying the type letter), names
 * with one- and two-byte lengths, markers, the name-sorted permutation,
 * offsets in the layout's encoding, relative_base where there is one, all
 * placed by the layout's order and alignment in a raw image with a kernel
 * image mapping (va - pa) like a KASLR guest's. Then every test checks
 * that the decoded table is exactly what was encoded, or that a damaged
 * table fails with an error naming the step.
 *
 * CP_KALLSYMS_SEED_DIR=DIR writes each layout's image there (the fuzz
 * target's seed corpus, tests/fuzz/corpus/fuzz_kallsyms).
 */
#include <inttypes.h>

#include "unit.h"
#include "kernel/kallsyms_internal.h"
#include "kernel/vmcoreinfo.h"
#include "mem/mem.h"

#define TEXT_VA 0xffffffffa1000000ull	/* runtime _text */

struct synth {
	const struct ks_layout *layout;
	uint32_t n;
	char **names;
	char *types;
	uint64_t *addrs;
	uint8_t *img;
	size_t img_size;
	uint64_t delta;		/* va - pa of the kernel image */
	struct ks_geometry g;
	char vmcoreinfo[2048];
	char *path;
};

struct synth_params {
	const char *layout;	/* a ks_layouts[] name */
	uint32_t nfuncs;
	size_t img_size;
	uint64_t text_pa;	/* where _text lies */
	uint64_t tables_pa;	/* the layout's first table */
	uint64_t data_pa;	/* data symbols (self-pointing list heads) */
	unsigned self_pointers;
};

static const struct synth_params big = {
	.nfuncs = 900, .img_size = 16 << 20, .text_pa = 0x200000,
	.tables_pa = 0x600000, .data_pa = 0xa00000, .self_pointers = 8,
};

static const struct ks_layout *layout_named(const char *name)
{
	for (size_t i = 0; i < ks_nlayouts; i++)
		if (strcmp(ks_layouts[i].name, name) == 0)
			return &ks_layouts[i];
	fail_msg("no layout %s", name);
	return NULL;
}

static void add_sym(struct synth *s, const char *name, char type, uint64_t a)
{
	s->names = realloc(s->names, (s->n + 1) * sizeof(*s->names));
	s->types = realloc(s->types, s->n + 1);
	s->addrs = realloc(s->addrs, (s->n + 1) * sizeof(*s->addrs));
	assert_true(s->names && s->types && s->addrs);
	s->names[s->n] = strdup(name);
	s->types[s->n] = type;
	s->addrs[s->n] = a;
	s->n++;
}

/* The symbols, in address order as scripts/kallsyms sorts them. */
static void make_symbols(struct synth *s, const struct synth_params *p)
{
	char name[300];
	if (s->layout->encoding == KS_ABSOLUTE_PERCPU) {
		add_sym(s, "fixed_percpu_data", 'A', 0);
		add_sym(s, "__per_cpu_start", 'A', 0);
		add_sym(s, "cpu_tss_rw", 'A', 0x6000);
	}
	add_sym(s, "_text", 'T', TEXT_VA);
	add_sym(s, "_stext", 'T', TEXT_VA);
	for (uint32_t k = 0; k < p->nfuncs; k++) {
		snprintf(name, sizeof(name), k % 3 ? "func_%u" : "t_helper_%u",
			 k);
		add_sym(s, name, k % 2 ? 't' : 'T', TEXT_VA + 0x40 * (k + 1));
	}
	/* A name of more than 127 tokens: a two-byte length (6.1+). */
	memset(name, 0, sizeof(name));
	name[0] = 'L';
	for (int k = 1; k < 200; k++)
		name[k] = "zqxwv"[k % 5];
	add_sym(s, name, 't', TEXT_VA + 0x40 * (p->nfuncs + 1));
	uint64_t ro = p->data_pa + s->delta - 0x100;
	/* .rodata's bounds, when the tables fit between the text and them */
	uint64_t tables = p->tables_pa + s->delta;
	bool bounds = tables > TEXT_VA + 0x40 * (p->nfuncs + 2) && tables < ro;
	if (bounds)
		add_sym(s, "__start_rodata", 'D', tables - 0x1000);
	add_sym(s, "abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ."
		   "0123456789", 'r', ro);
	for (int k = 0; k < 3; k++)	/* names repeat */
		add_sym(s, "__func__.0", 'r', ro + 0x20 * (k + 1));
	if (bounds)
		add_sym(s, "__end_rodata", 'D', ro + 0x80);
	uint64_t data = p->data_pa + s->delta;
	for (uint32_t k = 0; k < 40; k++) {
		snprintf(name, sizeof(name), "data_%u", k);
		add_sym(s, name, "dDbB"[k % 4], data + 0x40 * k);
	}
}

/* Multi-character tokens for the free codes; the first ones carry a type
 * letter, as the kernel's compressor often produces. */
static const char *const multi[] = {
	"Tfunc_", "tfunc_", "Tt_helper_", "func_", "data_", "__", "_h",
	"elp", "er_", "zq", "12", "Ddata_",
};

struct codec {
	char tok[256][32];
	uint8_t table[4096];
	size_t table_len;
	uint8_t index[512];
};

static void make_tokens(struct codec *c, const struct synth *s)
{
	bool used[256] = { false };
	for (uint32_t i = 0; i < s->n; i++) {
		used[(uint8_t)s->types[i]] = true;
		for (const char *q = s->names[i]; *q; q++)
			used[(uint8_t)*q] = true;
	}
	size_t m = 0;
	memset(c, 0, sizeof(*c));
	for (int code = 255; code >= 0; code--) {
		if (used[code])
			c->tok[code][0] = (char)code;
		else if (m < CP_ARRAY_SIZE(multi))
			strcpy(c->tok[code], multi[m++]);
		/* else: an unused code, an empty token */
	}
	for (int code = 0; code < 256; code++) {
		c->index[2 * code] = (uint8_t)c->table_len;
		c->index[2 * code + 1] = (uint8_t)(c->table_len >> 8);
		size_t len = strlen(c->tok[code]) + 1;
		memcpy(c->table + c->table_len, c->tok[code], len);
		c->table_len += len;
	}
}

/* Greedy longest-token compression of type + name. */
static size_t compress(const struct codec *c, char type, const char *name,
		       uint8_t *out)
{
	char stream[300];
	snprintf(stream, sizeof(stream), "%c%s", type, name);
	size_t n = 0;
	for (const char *q = stream; *q;) {
		int best = -1;
		size_t best_len = 0;
		for (int code = 0; code < 256; code++) {
			size_t len = strlen(c->tok[code]);
			if (len > best_len && strncmp(q, c->tok[code], len) == 0) {
				best = code;
				best_len = len;
			}
		}
		assert_true(best >= 0);
		out[n++] = (uint8_t)best;
		q += best_len;
	}
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct synth *s = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(s->names[x], s->names[y]);
	return r ? r : (x > y) - (x < y);
}

static void synth_build(struct synth *s, const char *layout,
			const struct synth_params *p)
{
	memset(s, 0, sizeof(*s));
	s->layout = layout_named(layout);
	s->delta = TEXT_VA - p->text_pa;
	make_symbols(s, p);
	struct codec *c = malloc(sizeof(*c));
	assert_non_null(c);
	make_tokens(c, s);

	/* names and markers */
	uint32_t nm = (s->n + 255) / 256;
	uint8_t *names = malloc(s->n * 260), *markers = calloc(nm, 4);
	size_t nl = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (i % 256 == 0)
			put32(markers + 4 * (i / 256), (uint32_t)nl);
		uint8_t codes[300];
		size_t k = compress(c, s->types[i], s->names[i], codes);
		if (k > 0x7f) {
			names[nl++] = (uint8_t)((k & 0x7f) | 0x80);
			names[nl++] = (uint8_t)(k >> 7);
		} else {
			names[nl++] = (uint8_t)k;
		}
		memcpy(names + nl, codes, k);
		nl += k;
	}

	s->g = (struct ks_geometry){
		.layout = s->layout, .num_syms = s->n, .names_len = nl,
		.token_table_len = c->table_len,
	};
	assert_true(ks_place(&s->g, s->layout->order[0], p->tables_pa));
	s->img_size = p->img_size;
	s->img = malloc(s->img_size);
	assert_non_null(s->img);
	/* Noise everywhere but the kernel image's rodata (zero padding). */
	for (size_t i = 0; i < s->img_size; i++)
		s->img[i] = (uint8_t)(i * 2654435761u >> 13);
	uint64_t *pa = s->g.pa;
	uint64_t end = pa[s->layout->order[s->layout->ntables - 1]] +
		       ks_table_size(&s->g,
				     s->layout->order[s->layout->ntables - 1]);
	assert_true(end <= s->img_size);
	memset(s->img + p->tables_pa, 0, end - p->tables_pa);

	uint8_t *img = s->img;
	put32(img + pa[KS_NUM_SYMS], s->n);
	memcpy(img + pa[KS_NAMES], names, nl);
	memcpy(img + pa[KS_MARKERS], markers, 4 * nm);
	memcpy(img + pa[KS_TOKEN_TABLE], c->table, c->table_len);
	memcpy(img + pa[KS_TOKEN_INDEX], c->index, 512);
	uint64_t offsets_va = pa[KS_OFFSETS] + s->delta;
	for (uint32_t i = 0; i < s->n; i++) {
		uint64_t a = s->addrs[i];
		uint32_t v;
		switch (s->layout->encoding) {
		case KS_ABSOLUTE_PERCPU:
			v = s->types[i] == 'A' ? (uint32_t)a :
						 (uint32_t)(TEXT_VA - a - 1);
			break;
		case KS_BASE_RELATIVE:
			v = (uint32_t)(a - TEXT_VA);
			break;
		default:
			v = (uint32_t)(a - (offsets_va + 4ull * i));
			break;
		}
		put32(img + pa[KS_OFFSETS] + 4ull * i, v);
	}
	if (ks_layout_has(s->layout, KS_RELATIVE_BASE))
		put64(img + pa[KS_RELATIVE_BASE], TEXT_VA);
	if (s->layout->seq_size) {
		uint32_t *order = malloc(s->n * sizeof(*order));
		for (uint32_t i = 0; i < s->n; i++)
			order[i] = i;
		qsort_r(order, s->n, sizeof(*order), by_name, s);
		for (uint32_t i = 0; i < s->n; i++) {
			uint8_t *q = img + pa[KS_SEQS] + 3ull * i;
			q[0] = (uint8_t)(order[i] >> 16);
			q[1] = (uint8_t)(order[i] >> 8);
			q[2] = (uint8_t)order[i];
		}
		free(order);
	}
	/* Empty list heads in data symbols: their own runtime address,
	 * twice. */
	unsigned planted = 0;
	for (uint32_t i = 0; i < s->n && planted < p->self_pointers; i++) {
		if (s->types[i] != 'd' && s->types[i] != 'D')
			continue;
		put64(img + (s->addrs[i] - s->delta), s->addrs[i]);
		put64(img + (s->addrs[i] - s->delta) + 8, s->addrs[i]);
		planted++;
	}

	int64_t phys_base = (int64_t)(KS_KERNEL_MAP - s->delta);
	int len = snprintf(s->vmcoreinfo, sizeof(s->vmcoreinfo),
			   "OSRELEASE=synthetic-%s\nPAGESIZE=4096\n"
			   "SYMBOL(kallsyms_names)=%" PRIx64 "\n"
			   "SYMBOL(kallsyms_num_syms)=%" PRIx64 "\n"
			   "SYMBOL(kallsyms_token_table)=%" PRIx64 "\n"
			   "SYMBOL(kallsyms_token_index)=%" PRIx64 "\n"
			   "SYMBOL(kallsyms_offsets)=%" PRIx64 "\n"
			   "NUMBER(phys_base)=%" PRId64 "\n",
			   layout, pa[KS_NAMES] + s->delta,
			   pa[KS_NUM_SYMS] + s->delta,
			   pa[KS_TOKEN_TABLE] + s->delta,
			   pa[KS_TOKEN_INDEX] + s->delta, offsets_va,
			   phys_base);
	if (ks_layout_has(s->layout, KS_RELATIVE_BASE))
		snprintf(s->vmcoreinfo + len, sizeof(s->vmcoreinfo) - len,
			 "SYMBOL(kallsyms_relative_base)=%" PRIx64 "\n",
			 pa[KS_RELATIVE_BASE] + s->delta);
	free(names);
	free(markers);
	free(c);
}

static struct cp_mem *synth_open(struct synth *s, size_t size)
{
	s->path = unit_tmpfile(s->img, size);
	assert_non_null(s->path);
	char *u;
	assert_true(asprintf(&u, "raw:%s", s->path) > 0);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(u, &mem));
	free(u);
	return mem;
}

/* mem may be NULL (a source the test made by hand). */
static void synth_free(struct synth *s, struct cp_mem *mem)
{
	cp_mem_close(mem);
	if (s->path)
		unlink(s->path);
	free(s->path);
	for (uint32_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->types);
	free(s->addrs);
	free(s->img);
}

static struct cp_vmcoreinfo *synth_vmcoreinfo(const struct synth *s)
{
	struct cp_vmcoreinfo *vi;
	assert_ok(cp_vmcoreinfo_parse_text(s->vmcoreinfo,
					   strlen(s->vmcoreinfo), &vi));
	return vi;
}

/* The decoded table is exactly the encoded one. */
static void assert_same(const struct synth *s, const struct cp_kallsyms *ks)
{
	assert_int_equal(cp_kallsyms_count(ks), s->n);
	for (uint32_t i = 0; i < s->n; i++) {
		struct cp_ksym k;
		assert_true(cp_kallsyms_get(ks, i, &k));
		if (strcmp(k.name, s->names[i]) || k.type != s->types[i] ||
		    k.addr != s->addrs[i])
			fail_msg("symbol %u: %" PRIx64 " %c %s, want %" PRIx64
				 " %c %s", i, k.addr, k.type, k.name,
				 s->addrs[i], s->types[i], s->names[i]);
	}
	struct cp_ksym k;
	assert_false(cp_kallsyms_get(ks, s->n, &k));
	assert_string_equal(cp_kallsyms_info(ks)->layout, s->layout->name);
}

static const char *const all_layouts[] = {
	"7.0+", "6.15-6.19", "6.4-6.14", "6.2-6.3", "4.6-6.1",
};

static void maybe_write_seed(const struct synth *s)
{
	const char *dir = getenv("CP_KALLSYMS_SEED_DIR");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.raw", dir, s->layout->name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(s->img, 1, s->img_size, f), s->img_size);
	/* names, num_syms, token_table, token_index, offsets, relative_base
	 * (all ones: none), as u32 physical addresses */
	static const enum ks_table order[] = {
		KS_NAMES, KS_NUM_SYMS, KS_TOKEN_TABLE, KS_TOKEN_INDEX,
		KS_OFFSETS, KS_RELATIVE_BASE,
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(order); i++) {
		uint8_t le[4];
		put32(le, ks_layout_has(s->layout, order[i]) ?
				  (uint32_t)s->g.pa[order[i]] :
				  UINT32_MAX);
		assert_int_equal(fwrite(le, 1, 4, f), 4);
	}
	fclose(f);
}

static void test_each_layout_via_vmcoreinfo(void **state)
{
	(void)state;
	for (size_t l = 0; l < CP_ARRAY_SIZE(all_layouts); l++) {
		struct synth s;
		synth_build(&s, all_layouts[l], &big);
		struct cp_mem *mem = synth_open(&s, s.img_size);
		struct cp_vmcoreinfo *vi = synth_vmcoreinfo(&s);
		struct cp_kallsyms *ks;
		assert_ok(cp_kallsyms_from_vmcoreinfo(mem, vi, &ks));
		assert_same(&s, ks);
		const struct cp_kallsyms_info *in = cp_kallsyms_info(ks);
		assert_string_equal(in->origin, "vmcoreinfo");
		assert_true(in->has_image_delta);
		assert_int_equal(in->image_va_minus_pa, s.delta);
		assert_int_equal(in->names_paddr, s.g.pa[KS_NAMES]);
		cp_kallsyms_destroy(ks);
		cp_vmcoreinfo_destroy(vi);
		synth_free(&s, mem);
	}
}

static void test_each_layout_carved(void **state)
{
	(void)state;
	for (size_t l = 0; l < CP_ARRAY_SIZE(all_layouts); l++) {
		struct synth s;
		synth_build(&s, all_layouts[l], &big);
		struct cp_mem *mem = synth_open(&s, s.img_size);
		struct cp_kallsyms *ks;
		uint64_t scanned = 0;
		assert_ok(cp_kallsyms_carve(mem, NULL, &ks, &scanned));
		assert_same(&s, ks);
		const struct cp_kallsyms_info *in = cp_kallsyms_info(ks);
		assert_string_equal(in->origin, "carved");
		assert_int_equal(in->token_table_paddr, s.g.pa[KS_TOKEN_TABLE]);
		if (s.layout->encoding == KS_PLACE_RELATIVE) {
			assert_string_equal(in->base_source, "self-pointers");
			assert_int_equal(in->image_delta_votes, big.self_pointers);
		} else {
			/* .rodata's bounds leave two 2 MiB steps; the
			 * self-pointers pick one */
			assert_string_equal(in->base_source, "relative_base");
			assert_int_equal(in->image_delta_votes, big.self_pointers);
		}
		assert_true(in->has_image_delta);
		assert_int_equal(in->image_va_minus_pa, s.delta);
		assert_int_equal(scanned, s.img_size);	/* one pattern */
		cp_kallsyms_destroy(ks);
		synth_free(&s, mem);
	}
}

/* A 7.x table with no self-pointers needs a hint; a wrong 6.x hint is
 * caught by the stored base. */
static void test_runtime_base_hints(void **state)
{
	(void)state;
	struct synth_params p = big;
	p.self_pointers = 0;
	struct synth s;
	synth_build(&s, "7.0+", &p);
	struct cp_mem *mem = synth_open(&s, s.img_size);
	struct cp_kallsyms *ks;
	struct cp_error *err = cp_kallsyms_carve(mem, NULL, &ks, NULL);
	assert_int_equal(cp_error_code(err), CP_ERR_NOT_FOUND);
	assert_non_null(strstr(cp_error_message(err), "runtime base unknown"));
	cp_error_destroy(err);
	struct cp_kallsyms_hints h = { .has_text_va = true, .text_va = TEXT_VA };
	assert_ok(cp_kallsyms_carve(mem, &h, &ks, NULL));
	assert_same(&s, ks);
	assert_string_equal(cp_kallsyms_info(ks)->base_source, "hint");
	cp_kallsyms_destroy(ks);
	h = (struct cp_kallsyms_hints){
		.has_phys_base = true,
		.phys_base = (int64_t)(KS_KERNEL_MAP - s.delta),
	};
	assert_ok(cp_kallsyms_carve(mem, &h, &ks, NULL));
	assert_same(&s, ks);
	cp_kallsyms_destroy(ks);
	synth_free(&s, mem);

	synth_build(&s, "6.4-6.14", &big);
	mem = synth_open(&s, s.img_size);
	h = (struct cp_kallsyms_hints){ .has_text_va = true,
					.text_va = TEXT_VA + 0x200000 };
	assert_error(cp_kallsyms_carve(mem, &h, &ks, NULL), CP_ERR_CORRUPT);
	h.text_va = TEXT_VA;
	assert_ok(cp_kallsyms_carve(mem, &h, &ks, NULL));
	cp_kallsyms_destroy(ks);
	synth_free(&s, mem);
}

static void test_queries(void **state)
{
	(void)state;
	struct synth s;
	synth_build(&s, "6.4-6.14", &big);
	struct cp_mem *mem = synth_open(&s, s.img_size);
	struct cp_vmcoreinfo *vi = synth_vmcoreinfo(&s);
	struct cp_kallsyms *ks;
	assert_ok(cp_kallsyms_from_vmcoreinfo(mem, vi, &ks));

	size_t i, idx[8];
	assert_true(cp_kallsyms_find(ks, "func_1", &i));
	assert_string_equal(s.names[i], "func_1");
	assert_false(cp_kallsyms_find(ks, "func_", &i));
	assert_false(cp_kallsyms_find(ks, "", &i));
	/* names repeat: the first, then all in table order */
	assert_int_equal(cp_kallsyms_find_all(ks, "__func__.0", idx, 8), 3);
	assert_true(idx[0] < idx[1] && idx[1] < idx[2]);
	assert_true(cp_kallsyms_find(ks, "__func__.0", &i));
	assert_int_equal(i, idx[0]);
	assert_int_equal(cp_kallsyms_find_all(ks, "__func__.0", idx, 1), 3);
	uint64_t a;
	assert_true(cp_kallsyms_address(ks, "_text", &a));
	assert_int_equal(a, TEXT_VA);

	/* _text and _stext share an address: the first is the answer */
	uint64_t off;
	assert_true(cp_kallsyms_lookup(ks, TEXT_VA + 0x3f, &i, &off));
	assert_string_equal(s.names[i], "_text");
	assert_int_equal(off, 0x3f);
	assert_true(cp_kallsyms_lookup(ks, TEXT_VA + 0x40, &i, &off));
	assert_int_equal(s.addrs[i], TEXT_VA + 0x40);
	assert_int_equal(off, 0);
	assert_true(cp_kallsyms_lookup(ks, UINT64_MAX, &i, NULL));
	assert_int_equal(i, s.n - 1);
	/* per-CPU symbols sit at 0: nothing is below them */
	assert_true(cp_kallsyms_lookup(ks, 0x10, &i, &off));
	assert_string_equal(s.names[i], "fixed_percpu_data");
	cp_kallsyms_destroy(ks);
	cp_vmcoreinfo_destroy(vi);
	synth_free(&s, mem);
}

/* Damage: each breaks one table; both ways in must say which. */
enum damage {
	DAMAGE_MARKER,
	DAMAGE_TOKEN_INDEX,
	DAMAGE_NUM_SYMS_HUGE,
	DAMAGE_NUM_SYMS_PLUS_ONE,
	DAMAGE_NAME_LENGTH,
	DAMAGE_UNSORTED,
	DAMAGE_SEQS,
};

static void damage(struct synth *s, enum damage d)
{
	uint64_t *pa = s->g.pa;
	uint8_t *img = s->img;
	switch (d) {
	case DAMAGE_MARKER:
		img[pa[KS_MARKERS] + 4] ^= 0x10;	/* marker 1 */
		break;
	case DAMAGE_TOKEN_INDEX:
		put32(img + pa[KS_TOKEN_INDEX] + 2 * 200, 0xfff0);
		break;
	case DAMAGE_NUM_SYMS_HUGE:
		put32(img + pa[KS_NUM_SYMS], 0x7fffffff);
		break;
	case DAMAGE_NUM_SYMS_PLUS_ONE:
		put32(img + pa[KS_NUM_SYMS], s->n + 1);
		break;
	case DAMAGE_NAME_LENGTH:
		/* the 300th record claims 0x3fff tokens */
		{
			uint64_t off = 0;
			uint32_t k;
			for (int i = 0; i < 300; i++)
				assert_true(ks_name_record(img + pa[KS_NAMES],
							   s->g.names_len, off,
							   &k, &off));
			img[pa[KS_NAMES] + off] = 0xff;
			img[pa[KS_NAMES] + off + 1] = 0x7f;
		}
		break;
	case DAMAGE_UNSORTED: {
		uint32_t a = ks_le32(img + pa[KS_OFFSETS] + 4 * 500);
		put32(img + pa[KS_OFFSETS] + 4 * 500,
		      ks_le32(img + pa[KS_OFFSETS] + 4 * 501));
		put32(img + pa[KS_OFFSETS] + 4 * 501, a);
		break;
	}
	case DAMAGE_SEQS:
		memcpy(img + pa[KS_SEQS] + 3 * 7, img + pa[KS_SEQS] + 3 * 8, 3);
		break;
	}
}

static void expect_failure(const char *how, struct cp_error *err,
			   const char *words)
{
	if (!err)
		fail_msg("%s: succeeded on a damaged table", how);
	if (!strstr(cp_error_message(err), words))
		fail_msg("%s: \"%s\" does not say \"%s\"", how,
			 cp_error_message(err), words);
	print_message("  %s: %s\n", how, cp_error_message(err));
	cp_error_destroy(err);
}

static void check_damage(const char *layout, enum damage d,
			 const char *vmci_words, const char *carve_words)
{
	struct synth s;
	synth_build(&s, layout, &big);
	damage(&s, d);
	struct cp_mem *mem = synth_open(&s, s.img_size);
	struct cp_vmcoreinfo *vi = synth_vmcoreinfo(&s);
	struct cp_kallsyms *ks = NULL;
	expect_failure("vmcoreinfo", cp_kallsyms_from_vmcoreinfo(mem, vi, &ks),
		       vmci_words);
	uint64_t scanned = 0;
	expect_failure("carve", cp_kallsyms_carve(mem, NULL, &ks, &scanned),
		       carve_words);
	assert_int_equal(scanned, 2 * s.img_size);	/* both patterns */
	cp_vmcoreinfo_destroy(vi);
	synth_free(&s, mem);
}

static void test_corrupted_marker(void **state)
{
	(void)state;
	check_damage("6.4-6.14", DAMAGE_MARKER, "marker 1 says", "marker 1");
	check_damage("7.0+", DAMAGE_MARKER, "marker 1 says", "marker 1");
}

static void test_bad_token_index(void **state)
{
	(void)state;
	check_damage("6.2-6.3", DAMAGE_TOKEN_INDEX, "token index 200",
		     "token table not found");
}

static void test_lying_num_syms(void **state)
{
	(void)state;
	check_damage("6.4-6.14", DAMAGE_NUM_SYMS_HUGE, "outside 1..",
		     "no num_syms, names and markers");
	check_damage("7.0+", DAMAGE_NUM_SYMS_PLUS_ONE, "runs past",
		     "runs past the markers");
	check_damage("4.6-6.1", DAMAGE_NUM_SYMS_PLUS_ONE, "runs past",
		     "runs past the markers");
}

static void test_truncated_names(void **state)
{
	(void)state;
	check_damage("6.15-6.19", DAMAGE_NAME_LENGTH, "symbol 300 of",
		     "symbol 300 of");
}

static void test_unsorted_offsets_and_bad_seqs(void **state)
{
	(void)state;
	check_damage("6.4-6.14", DAMAGE_UNSORTED, "not sorted at symbol 501",
		     "not sorted at symbol 501");
	check_damage("7.0+", DAMAGE_SEQS, "seqs_of_names[8]",
		     "seqs_of_names[8]");
}

/* Memory that ends inside the tables: a fault or a clear error. */
static void test_truncated_memory(void **state)
{
	(void)state;
	struct synth s;
	synth_build(&s, "6.2-6.3", &big);
	size_t cut = (size_t)(s.g.pa[KS_NAMES] + s.g.names_len / 2);
	struct cp_mem *mem = synth_open(&s, cut);
	struct cp_vmcoreinfo *vi = synth_vmcoreinfo(&s);
	struct cp_kallsyms *ks;
	expect_failure("vmcoreinfo", cp_kallsyms_from_vmcoreinfo(mem, vi, &ks),
		       "runs past");
	expect_failure("carve", cp_kallsyms_carve(mem, NULL, &ks, NULL),
		       "token table not found in");
	cp_vmcoreinfo_destroy(vi);
	synth_free(&s, mem);
}

static void test_absent(void **state)
{
	(void)state;
	static uint8_t img[1 << 20];
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	/* a decoy: digits as tokens, with no index after them */
	memcpy(img + 5000, "x\0" "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0"
			   "7\0" "8\0" "9\0", 22);
	char *path = unit_tmpfile(img, sizeof(img));
	char *u;
	assert_true(asprintf(&u, "raw:%s", path) > 0);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(u, &mem));
	struct cp_kallsyms *ks;
	uint64_t scanned;
	struct cp_error *err = cp_kallsyms_carve(mem, NULL, &ks, &scanned);
	assert_int_equal(cp_error_code(err), CP_ERR_NOT_FOUND);
	assert_string_equal(cp_error_message(err),
			    "kallsyms: token table not found in 2 MiB scanned");
	cp_error_destroy(err);
	assert_int_equal(scanned, 2 * sizeof(img));
	cp_mem_close(mem);
	unlink(path);
	free(path);
	free(u);
}

/* A source that cannot map (a live process): everything goes through
 * reads, scans come in overlapping windows, spans are copies. */
static struct cp_error *copy_read(struct cp_mem *mem,
				  const struct cp_mem_region *r, uint64_t off,
				  void *buf, size_t len)
{
	memcpy(buf, (const uint8_t *)mem->priv + r->where + off, len);
	return NULL;
}

static void test_carve_without_mapping(void **state)
{
	(void)state;
	static const struct cp_mem_ops ops = { .scheme = "test",
					       .read = copy_read };
	for (size_t l = 0; l < CP_ARRAY_SIZE(all_layouts); l += 2) {
		struct synth s;
		synth_build(&s, all_layouts[l], &big);
		struct cp_mem mem;
		memset(&mem, 0, sizeof(mem));
		mem.ops = &ops;
		mem.fd = -1;
		mem.priv = s.img;
		/* two regions with a hole between, the tables in the second */
		assert_ok(cp_mem_add_region(&mem, 0, 0x100000, 0));
		assert_ok(cp_mem_add_region(&mem, 0x180000,
					    s.img_size - 0x180000, 0x180000));
		assert_ok(cp_mem_finish_regions(&mem));
		struct cp_kallsyms *ks;
		uint64_t scanned;
		assert_ok(cp_kallsyms_carve(&mem, NULL, &ks, &scanned));
		assert_same(&s, ks);
		/* the scan stops in the 1 MiB window holding the table */
		assert_true(scanned < s.img_size - 0x80000);
		assert_true(scanned + (1 << 20) >
			    s.g.pa[KS_TOKEN_TABLE] - 0x80000);
		cp_kallsyms_destroy(ks);
		struct cp_vmcoreinfo *vi = synth_vmcoreinfo(&s);
		assert_ok(cp_kallsyms_from_vmcoreinfo(&mem, vi, &ks));
		assert_same(&s, ks);
		cp_kallsyms_destroy(ks);
		cp_vmcoreinfo_destroy(vi);
		cp_mem_reset(&mem);
		synth_free(&s, NULL);
	}
}

/* Small images of every layout for the fuzz target's corpus. */
static void test_seeds(void **state)
{
	(void)state;
	const struct synth_params small = {
		.nfuncs = 260, .img_size = 24 << 10, .text_pa = 0,
		.tables_pa = 0x1000, .data_pa = 0x5000, .self_pointers = 4,
	};
	for (size_t l = 0; l < CP_ARRAY_SIZE(all_layouts); l++) {
		struct synth s;
		synth_build(&s, all_layouts[l], &small);
		struct cp_mem *mem = synth_open(&s, s.img_size);
		struct cp_kallsyms *ks;
		assert_ok(cp_kallsyms_carve(mem, NULL, &ks, NULL));
		assert_same(&s, ks);
		cp_kallsyms_destroy(ks);
		maybe_write_seed(&s);
		synth_free(&s, mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_layout_via_vmcoreinfo),
		cmocka_unit_test(test_each_layout_carved),
		cmocka_unit_test(test_runtime_base_hints),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_corrupted_marker),
		cmocka_unit_test(test_bad_token_index),
		cmocka_unit_test(test_lying_num_syms),
		cmocka_unit_test(test_truncated_names),
		cmocka_unit_test(test_unsorted_offsets_and_bad_seqs),
		cmocka_unit_test(test_truncated_memory),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_carve_without_mapping),
		cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
