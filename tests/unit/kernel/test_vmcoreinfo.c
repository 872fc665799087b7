/*
 * Unit tests for VMCOREINFO carving and the banner carver on synthetic raw
 * images laid out like guest RAM, with the decoys real RAM holds: format
 * strings, printk copies, planted banners.
 */
#include "unit.h"

#define PAGE 4096

static const char real_text[] =
	"OSRELEASE=6.1.0-28-cloud-amd64\n"
	"BUILD-ID=0123456789abcdef\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff9a412340\n"
	"NUMBER(phys_base)=-1023410176\n"
	"KERNELOFFSET=19000000\n";

static struct cp_mem *image(uint8_t *img, size_t size, char **path)
{
	*path = unit_tmpfile(img, size);
	assert_non_null(*path);
	char *u;
	assert_true(asprintf(&u, "raw:%s", *path) > 0);
	struct cp_mem *mem;
	assert_ok(cp_mem_open(u, &mem));
	free(u);
	return mem;
}

static void test_finds_page_aligned_text_past_decoys(void **state)
{
	(void)state;
	static uint8_t img[16 * PAGE];
	memset(img, 0, sizeof(img));
	/* format strings from crash_core.c, and a lone mention */
	const char decoy[] = "OSRELEASE=%s\nPAGESIZE=%ld\n";
	memcpy(img + 100, decoy, sizeof(decoy));
	memcpy(img + PAGE, "OSRELEASE=9.9\n", 14);
	memcpy(img + 7 * PAGE, real_text, sizeof(real_text));
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	struct cp_vmcoreinfo *vi;
	uint64_t scanned;
	assert_ok(cp_vmcoreinfo_find(mem, &vi, &scanned));
	assert_int_equal(cp_vmcoreinfo_paddr(vi), 7 * PAGE);
	assert_string_equal(cp_vmcoreinfo_origin(vi), "ram");
	assert_string_equal(cp_vmcoreinfo_get(vi, "OSRELEASE"),
			    "6.1.0-28-cloud-amd64");
	uint64_t v;
	int64_t n;
	assert_true(cp_vmcoreinfo_symbol(vi, "init_uts_ns", &v));
	assert_int_equal(v, 0xffffffff9a412340ull);
	assert_true(cp_vmcoreinfo_number(vi, "phys_base", &n));
	assert_int_equal(n, -1023410176);
	assert_true(cp_vmcoreinfo_hex(vi, "KERNELOFFSET", &v));
	assert_int_equal(v, 0x19000000);
	assert_false(cp_vmcoreinfo_symbol(vi, "missing", &v));
	cp_vmcoreinfo_destroy(vi);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

static void test_unaligned_text_found_on_second_pass(void **state)
{
	(void)state;
	static uint8_t img[8 * PAGE];
	memset(img, 0, sizeof(img));
	memcpy(img + 3 * PAGE + 24, real_text, sizeof(real_text));
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	struct cp_vmcoreinfo *vi;
	assert_ok(cp_vmcoreinfo_find(mem, &vi, NULL));
	assert_int_equal(cp_vmcoreinfo_paddr(vi), 3 * PAGE + 24);
	cp_vmcoreinfo_destroy(vi);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

static void test_absent_reports_bytes_scanned(void **state)
{
	(void)state;
	static uint8_t img[4 * PAGE];
	memset(img, 'A', sizeof(img));
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	struct cp_vmcoreinfo *vi;
	struct cp_error *err = cp_vmcoreinfo_find(mem, &vi, NULL);
	assert_int_equal(cp_error_code(err), CP_ERR_NOT_FOUND);
	assert_non_null(strstr(cp_error_message(err), "MiB scanned"));
	cp_error_destroy(err);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

static const char banner[] =
	"Linux version 6.1.0-28-cloud-amd64 (debian-kernel@lists.debian.org) "
	"(gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld 2.40) #1 SMP "
	"PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)";

static void test_banner_shape_and_release(void **state)
{
	(void)state;
	static uint8_t img[8 * PAGE];
	memset(img, 0, sizeof(img));
	/* printk copy: no "\n\0" after it */
	memcpy(img + 10, banner, sizeof(banner) - 1);
	img[10 + sizeof(banner) - 1] = 'X';
	/* a planted banner of another release */
	const char planted[] = "Linux version 9.9.9 (evil@x) (cc) #1\n";
	memcpy(img + PAGE, planted, sizeof(planted));
	/* the real one */
	memcpy(img + 5 * PAGE + 8, banner, sizeof(banner) - 1);
	img[5 * PAGE + 8 + sizeof(banner) - 1] = '\n';
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	char *b;
	uint64_t at;
	assert_ok(cp_banner_find(mem, "6.1.0-28-cloud-amd64", NULL, &b, &at, NULL));
	assert_string_equal(b, banner);
	assert_int_equal(at, 5 * PAGE + 8);
	char *rel = cp_banner_release(b);
	assert_string_equal(rel, "6.1.0-28-cloud-amd64");
	free(rel);
	free(b);
	/* without a release the lowest well-formed banner wins */
	assert_ok(cp_banner_find(mem, NULL, NULL, &b, &at, NULL));
	assert_int_equal(at, PAGE);
	free(b);
	assert_error(cp_banner_find(mem, "5.10.0", NULL, &b, &at, NULL),
		     CP_ERR_NOT_FOUND);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

static const struct cp_discovery_step *step(const struct cp_profile *p,
					    const char *name)
{
	for (size_t i = 0; i < cp_profile_step_count(p); i++)
		if (!strcmp(cp_profile_step(p, i)->name, name))
			return cp_profile_step(p, i);
	fail_msg("no step %s", name);
	return NULL;
}

static void test_profile_from_ram(void **state)
{
	(void)state;
	static uint8_t img[8 * PAGE];
	memset(img, 0, sizeof(img));
	memcpy(img + 2 * PAGE, real_text, sizeof(real_text));
	memcpy(img + 4 * PAGE, banner, sizeof(banner) - 1);
	img[4 * PAGE + sizeof(banner) - 1] = '\n';
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	struct cp_profile *p;
	assert_ok(cp_profile_discover(mem, &p));
	assert_string_equal(cp_profile_release(p), "6.1.0-28-cloud-amd64");
	assert_string_equal(cp_profile_banner(p), banner);
	assert_true(step(p, "vmcoreinfo")->ok);
	assert_true(step(p, "banner")->ok);
	/* no BTF or kallsyms in this image: those steps fail, discovery not */
	assert_false(step(p, "btf")->ok);
	assert_false(step(p, "kallsyms")->ok);
	cp_profile_destroy(p);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

/* 6.1+ images hold a __weak placeholder banner ("# SMP") below the real
 * one ("#1 SMP"); init_uts_ns's version picks the real one. */
static void test_banner_prefers_build_number_and_uts_version(void **state)
{
	(void)state;
	static uint8_t img[8 * PAGE];
	memset(img, 0, sizeof(img));
	const char weak[] = "Linux version 6.1.0-57 (b@h) (gcc) # SMP Debian\n";
	const char real[] = "Linux version 6.1.0-57 (b@h) (gcc) #1 SMP Debian\n";
	const char other[] = "Linux version 6.1.0-57 (b@h) (gcc) #2 SMP Debian\n";
	memcpy(img + PAGE, weak, sizeof(weak));
	memcpy(img + 3 * PAGE, other, sizeof(other));
	memcpy(img + 5 * PAGE, real, sizeof(real));
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	char *b;
	uint64_t at;
	assert_ok(cp_banner_find(mem, "6.1.0-57", NULL, &b, &at, NULL));
	assert_int_equal(at, 3 * PAGE); /* first with a build number */
	free(b);
	assert_ok(cp_banner_find(mem, "6.1.0-57", "#1 SMP Debian", &b, &at,
				 NULL));
	assert_int_equal(at, 5 * PAGE);
	assert_string_equal(b, "Linux version 6.1.0-57 (b@h) (gcc) #1 SMP Debian");
	free(b);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

/* The uts step finds new_utsname inside init_uts_ns by its shape. */
static void test_profile_reads_init_uts_ns(void **state)
{
	(void)state;
	static uint8_t img[8 * PAGE];
	memset(img, 0, sizeof(img));
	const char text[] = "OSRELEASE=6.1.0-57\nBUILD-ID=ab\nPAGESIZE=4096\n"
			    "SYMBOL(init_uts_ns)=ffffffff80003000\n"
			    "NUMBER(phys_base)=4096\n";
	memcpy(img + PAGE, text, sizeof(text));
	/* pa = va - 0xffffffff80000000 + phys_base = 0x4000; the utsname
	 * sits 8 bytes in (after a pointer, as in newer layouts). */
	char *u = (char *)img + 0x4000 + 8;
	strcpy(u, "Linux");
	strcpy(u + 65, "guest7");
	strcpy(u + 130, "6.1.0-57");
	strcpy(u + 195, "#1 SMP Debian");
	const char weak[] = "Linux version 6.1.0-57 (b@h) (gcc) # SMP Debian\n";
	const char real[] = "Linux version 6.1.0-57 (b@h) (gcc) #1 SMP Debian\n";
	memcpy(img + 5 * PAGE, weak, sizeof(weak));
	memcpy(img + 6 * PAGE, real, sizeof(real));
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	struct cp_profile *p;
	assert_ok(cp_profile_discover(mem, &p));
	assert_true(step(p, "uts")->ok);
	assert_string_equal(cp_profile_uts_version(p), "#1 SMP Debian");
	assert_string_equal(cp_profile_nodename(p), "guest7");
	assert_int_equal(cp_profile_banner_paddr(p), 6 * PAGE);
	cp_profile_destroy(p);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

static void test_profile_of_random_bytes_fails(void **state)
{
	(void)state;
	static uint8_t img[64 * PAGE];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(img); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		img[i] = (uint8_t)x;
	}
	char *path;
	struct cp_mem *mem = image(img, sizeof(img), &path);
	struct cp_profile *p;
	struct cp_error *err = cp_profile_discover(mem, &p);
	assert_int_equal(cp_error_code(err), CP_ERR_NOT_FOUND);
	assert_int_equal(cp_error_exit_status(err), 2);
	cp_error_destroy(err);
	cp_mem_close(mem);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_page_aligned_text_past_decoys),
		cmocka_unit_test(test_unaligned_text_found_on_second_pass),
		cmocka_unit_test(test_absent_reports_bytes_scanned),
		cmocka_unit_test(test_banner_shape_and_release),
		cmocka_unit_test(test_profile_from_ram),
		cmocka_unit_test(test_profile_of_random_bytes_fails),
		cmocka_unit_test(test_banner_prefers_build_number_and_uts_version),
		cmocka_unit_test(test_profile_reads_init_uts_ns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
