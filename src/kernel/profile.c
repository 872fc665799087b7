/*
 * profile.c - kernel discovery: from guest RAM to a cp_profile.
 *
 * Discovery is a fixed sequence of steps, each recorded with its outcome,
 * time and the bytes it searched, so a user can see what worked and what a
 * failure cost. A step that fails does not end discovery: later steps may
 * still identify the kernel, and each step checks what earlier ones claim
 * (the banner carver looks for the release VMCOREINFO names).
 *
 * The step table is data (steps[] below); adding a step is one function
 * and one line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/profile.h"
#include "util/error.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *format_detail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *format_detail(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static struct cp_error *step_vmcoreinfo(struct cp_profile *p,
					uint64_t *scanned, char **detail)
{
	struct cp_error *err =
		cp_vmcoreinfo_find(p->mem, &p->vmcoreinfo, scanned);
	if (err)
		return err;
	const char *release = cp_vmcoreinfo_get(p->vmcoreinfo, "OSRELEASE");
	p->release = strdup(release);
	if (!p->release)
		return &cp_enomem;
	*detail = format_detail("OSRELEASE=%s from %s at 0x%" PRIx64, release,
				cp_vmcoreinfo_origin(p->vmcoreinfo),
				cp_vmcoreinfo_paddr(p->vmcoreinfo));
	return NULL;
}

/*
 * x86-64 maps the kernel image at __START_KERNEL_map; a symbol's physical
 * address is va - __START_KERNEL_map + phys_base (__phys_addr_symbol).
 * phys_base absorbs both KASLR shifts and may be "negative".
 */
#define START_KERNEL_MAP 0xffffffff80000000ull

static bool kernel_image_pa(const struct cp_profile *p, uint64_t va,
			    uint64_t *pa)
{
	int64_t phys_base;
	if (!p->vmcoreinfo ||
	    !cp_vmcoreinfo_number(p->vmcoreinfo, "phys_base", &phys_base) ||
	    va < START_KERNEL_MAP)
		return false;
	*pa = va - START_KERNEL_MAP + (uint64_t)phys_base;
	return true;
}

/*
 * init_uts_ns holds struct new_utsname: six 65-byte fields (sysname,
 * nodename, release, version, machine, domainname). Where it sits inside
 * struct uts_namespace changed over time, so find it: "Linux" followed,
 * 130 bytes on, by the release VMCOREINFO names.
 */
#define UTS_LEN 65
#define UTS_SEARCH 512

static struct cp_error *step_uts(struct cp_profile *p, uint64_t *scanned,
				 char **detail)
{
	uint64_t va, pa;
	if (!p->vmcoreinfo ||
	    !cp_vmcoreinfo_symbol(p->vmcoreinfo, "init_uts_ns", &va))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "uts: no SYMBOL(init_uts_ns) in "
				       "VMCOREINFO");
	if (!kernel_image_pa(p, va, &pa))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "uts: no NUMBER(phys_base) to place "
				       "init_uts_ns");
	char buf[UTS_SEARCH + 6 * UTS_LEN];
	struct cp_error *err = cp_mem_read(p->mem, pa, buf, sizeof(buf));
	if (err)
		return cp_error_wrap(err, "uts: init_uts_ns at 0x%" PRIx64, pa);
	*scanned = sizeof(buf);
	for (size_t o = 0; o <= UTS_SEARCH; o += 1) {
		const char *u = buf + o;
		if (memcmp(u, "Linux", 6) != 0 ||
		    strncmp(u + 2 * UTS_LEN, p->release, UTS_LEN) != 0 ||
		    !memchr(u + 3 * UTS_LEN, '\0', UTS_LEN) ||
		    !memchr(u + UTS_LEN, '\0', UTS_LEN))
			continue;
		p->uts_version = strdup(u + 3 * UTS_LEN);
		p->nodename = strdup(u + UTS_LEN);
		if (!p->uts_version || !p->nodename)
			return &cp_enomem;
		*detail = format_detail("init_uts_ns at 0x%" PRIx64
					": version '%s'", pa, p->uts_version);
		return NULL;
	}
	return cp_error_create(CP_ERR_CORRUPT,
			       "uts: no utsname of release %s at init_uts_ns "
			       "(0x%" PRIx64 ")", p->release, pa);
}

static struct cp_error *step_banner(struct cp_profile *p, uint64_t *scanned,
				    char **detail)
{
	struct cp_error *err = cp_banner_find(p->mem, p->release,
					      p->uts_version, &p->banner,
					      &p->banner_paddr, scanned);
	if (err && p->release) {
		/* VMCOREINFO may be forged or stale: try any banner, and say
		 * the two disagree. */
		uint64_t more = 0;
		cp_error_destroy(err);
		err = cp_banner_find(p->mem, NULL, NULL, &p->banner,
				     &p->banner_paddr, &more);
		*scanned += more;
		if (!err) {
			*detail = format_detail("banner at 0x%" PRIx64
						" disagrees with VMCOREINFO "
						"release %s",
						p->banner_paddr, p->release);
			return NULL;
		}
	}
	if (err)
		return err;
	if (!p->release) {
		p->release = cp_banner_release(p->banner);
		if (!p->release)
			return &cp_enomem;
	}
	*detail = format_detail("at 0x%" PRIx64, p->banner_paddr);
	return NULL;
}

static const struct {
	const char *name;
	struct cp_error *(*run)(struct cp_profile *p, uint64_t *scanned,
				char **detail);
} steps[] = {
	{ "vmcoreinfo", step_vmcoreinfo },
	{ "uts", step_uts },
	{ "banner", step_banner },
};

_Static_assert(sizeof(steps) / sizeof(steps[0]) <= CP_PROFILE_MAX_STEPS,
	       "room for every discovery step");

struct cp_error *cp_profile_discover(struct cp_mem *mem,
				     struct cp_profile **ret)
{
	struct cp_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return &cp_enomem;
	p->mem = mem;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct cp_discovery_step *s = &p->steps[p->nsteps++];
		char *detail = NULL;
		uint64_t scanned = 0;
		double t0 = now_ms();
		struct cp_error *err = steps[i].run(p, &scanned, &detail);
		s->name = steps[i].name;
		s->ms = now_ms() - t0;
		s->scanned = scanned;
		s->ok = !err;
		if (err && cp_error_code(err) == CP_ERR_NOMEM) {
			free(detail);
			cp_profile_destroy(p);
			return err;
		}
		if (err) {
			free(detail);
			detail = strdup(cp_error_message(err));
			cp_error_destroy(err);
		}
		s->detail = detail;
	}
	if (!p->release) {
		/* Nothing identified a kernel: say what each step saw. */
		struct cp_error *err = cp_error_create(
			CP_ERR_NOT_FOUND,
			"no Linux kernel found in %s:%s (%" PRIu64 " MiB): %s; %s",
			cp_mem_kind(mem), cp_mem_path(mem),
			cp_mem_size(mem) >> 20,
			p->steps[0].detail ? p->steps[0].detail : "?",
			p->steps[2].detail ? p->steps[2].detail : "?");
		cp_profile_destroy(p);
		return err;
	}
	*ret = p;
	return NULL;
}

void cp_profile_destroy(struct cp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsteps; i++)
		free((char *)p->steps[i].detail);
	cp_vmcoreinfo_destroy(p->vmcoreinfo);
	free(p->release);
	free(p->banner);
	free(p->uts_version);
	free(p->nodename);
	free(p);
}

const char *cp_profile_release(const struct cp_profile *p)
{
	return p->release;
}

const char *cp_profile_uts_version(const struct cp_profile *p)
{
	return p->uts_version;
}

const char *cp_profile_nodename(const struct cp_profile *p)
{
	return p->nodename;
}

const char *cp_profile_banner(const struct cp_profile *p)
{
	return p->banner;
}

uint64_t cp_profile_banner_paddr(const struct cp_profile *p)
{
	return p->banner_paddr;
}

const struct cp_vmcoreinfo *cp_profile_vmcoreinfo(const struct cp_profile *p)
{
	return p->vmcoreinfo;
}

size_t cp_profile_step_count(const struct cp_profile *p)
{
	return p->nsteps;
}

const struct cp_discovery_step *cp_profile_step(const struct cp_profile *p,
						size_t i)
{
	return i < p->nsteps ? &p->steps[i] : NULL;
}
