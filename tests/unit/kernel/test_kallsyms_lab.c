/*
 * The kallsyms decoder against a real guest: every core-kernel line of the
 * guest's own /proc/kallsyms (truth/kallsyms from `lab truth`, lines
 * without a "[module]" suffix) must equal the decoded table, symbol for
 * symbol and in order: address, type and name, both via VMCOREINFO and by
 * carving with no help.
 *
 *   CP_KALLSYMS_MEM=shm:build/lab/NAME/mem \
 *   CP_KALLSYMS_TRUTH=build/lab/NAME/truth/kallsyms \
 *       build/tests/unit/kernel/test_kallsyms_lab
 *
 * tests/lab-tools/ksyms-compare boots each lab kernel and runs this. With
 * the variables unset (a plain `make unit`) the tests are skipped.
 */
#include <inttypes.h>
#include <time.h>

#include "unit.h"
#include "kernel/kallsyms.h"

struct truth_sym {
	uint64_t addr;
	char type;
	char *name;
};

struct truth {
	struct truth_sym *syms;
	size_t n;
};

static struct truth *truth_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s: cannot open", path);
	struct truth *t = calloc(1, sizeof(*t));
	size_t cap = 0;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char name[600], type;
		uint64_t addr;
		int used = 0;
		if (sscanf(line, "%" SCNx64 " %c %599s%n", &addr, &type, name,
			   &used) != 3)
			continue;
		/* "[module]" lines (and [bpf], [__builtin__ftrace]) are not in
		 * the core table. */
		if (strchr(line + used, '['))
			continue;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			t->syms = realloc(t->syms, cap * sizeof(*t->syms));
			assert_non_null(t->syms);
		}
		t->syms[t->n++] = (struct truth_sym){ addr, type, strdup(name) };
	}
	fclose(f);
	return t;
}

static void truth_free(struct truth *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->syms[i].name);
	free(t->syms);
	free(t);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Counts and prints (the first few) differences; returns their number. */
static size_t compare(const char *how, const struct cp_kallsyms *ks,
		      const struct truth *t)
{
	size_t bad = 0, n = cp_kallsyms_count(ks);
	if (n != t->n) {
		print_message("%s: %zu symbols decoded, truth has %zu\n", how,
			      n, t->n);
		bad++;
	}
	for (size_t i = 0; i < n && i < t->n; i++) {
		struct cp_ksym s;
		assert_true(cp_kallsyms_get(ks, i, &s));
		const struct truth_sym *w = &t->syms[i];
		if (s.addr == w->addr && s.type == w->type &&
		    strcmp(s.name, w->name) == 0)
			continue;
		if (bad++ < 10)
			print_message("%s: #%zu %016" PRIx64 " %c %s, truth "
				      "%016" PRIx64 " %c %s\n",
				      how, i, s.addr, s.type, s.name, w->addr,
				      w->type, w->name);
	}
	return bad;
}

/* Name and address lookups agree with the truth for every symbol. */
static void check_queries(const struct cp_kallsyms *ks, const struct truth *t)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t at, max = 64, idx[64];
		size_t k = cp_kallsyms_find_all(ks, t->syms[i].name, idx, max);
		assert_true(k >= 1);
		bool hit = false;
		for (size_t j = 0; j < k && j < max; j++)
			hit |= idx[j] == i;
		assert_true(hit || k > max);
		assert_true(cp_kallsyms_lookup(ks, t->syms[i].addr, &at, NULL));
		struct cp_ksym s;
		cp_kallsyms_get(ks, at, &s);
		assert_int_equal(s.addr, t->syms[i].addr);
		assert_true(at <= i);
	}
}

static void report(const char *how, const struct cp_kallsyms *ks, double ms,
		   uint64_t scanned)
{
	const struct cp_kallsyms_info *in = cp_kallsyms_info(ks);
	print_message("%s: %zu symbols in %.1f ms, layout %s, base %s, "
		      "names at 0x%" PRIx64 ", token table at 0x%" PRIx64
		      ", va-pa 0x%" PRIx64 " (%u votes), %" PRIu64
		      " MiB scanned\n",
		      how, cp_kallsyms_count(ks), ms, in->layout,
		      in->base_source, in->names_paddr, in->token_table_paddr,
		      in->image_va_minus_pa, in->image_delta_votes,
		      scanned >> 20);
}

static void test_lab_truth(void **state)
{
	(void)state;
	const char *uri = getenv("CP_KALLSYMS_MEM");
	const char *truth_path = getenv("CP_KALLSYMS_TRUTH");
	if (!uri || !truth_path) {
		print_message("CP_KALLSYMS_MEM/CP_KALLSYMS_TRUTH unset: skipped "
			      "(see tests/lab-tools/ksyms-compare)\n");
		skip();
	}
	struct truth *t = truth_load(truth_path);
	assert_true(t->n > 1000);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(uri, &mem));

	struct cp_vmcoreinfo *vi;
	assert_ok(cp_vmcoreinfo_find(mem, &vi, NULL));
	struct cp_kallsyms *ks;
	double t0 = now_ms();
	assert_ok(cp_kallsyms_from_vmcoreinfo(mem, vi, &ks));
	double ms = now_ms() - t0;
	report("vmcoreinfo", ks, ms, 0);
	size_t bad_vi = compare("vmcoreinfo", ks, t);
	check_queries(ks, t);
	cp_kallsyms_destroy(ks);
	cp_vmcoreinfo_destroy(vi);

	uint64_t scanned = 0;
	t0 = now_ms();
	assert_ok(cp_kallsyms_carve(mem, NULL, &ks, &scanned));
	ms = now_ms() - t0;
	report("carved", ks, ms, scanned);
	size_t bad_carve = compare("carved", ks, t);
	cp_kallsyms_destroy(ks);
	/* The first run pays for faulting in the source's mapping; later
	 * runs show the decoder's own cost. */
	double warm_vi = 1e9, warm_carve = 1e9;
	assert_ok(cp_vmcoreinfo_find(mem, &vi, NULL));
	for (int r = 0; r < 3; r++) {
		t0 = now_ms();
		assert_ok(cp_kallsyms_from_vmcoreinfo(mem, vi, &ks));
		ms = now_ms() - t0;
		warm_vi = ms < warm_vi ? ms : warm_vi;
		cp_kallsyms_destroy(ks);
		t0 = now_ms();
		assert_ok(cp_kallsyms_carve(mem, NULL, &ks, NULL));
		ms = now_ms() - t0;
		warm_carve = ms < warm_carve ? ms : warm_carve;
		cp_kallsyms_destroy(ks);
	}
	cp_vmcoreinfo_destroy(vi);
	print_message("warm (best of 3): vmcoreinfo %.1f ms, carved %.1f ms\n",
		      warm_vi, warm_carve);
	print_message("RESULT %zu core symbols: %zu mismatches via "
		      "VMCOREINFO, %zu carved\n",
		      t->n, bad_vi, bad_carve);
	assert_int_equal(bad_vi, 0);
	assert_int_equal(bad_carve, 0);
	cp_mem_close(mem);
	truth_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_truth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
