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

static struct cp_error *step_banner(struct cp_profile *p, uint64_t *scanned,
				    char **detail)
{
	struct cp_error *err = cp_banner_find(p->mem, p->release, &p->banner,
					      &p->banner_paddr, scanned);
	if (err && p->release) {
		/* VMCOREINFO may be forged or stale: try any banner, and say
		 * the two disagree. */
		uint64_t more = 0;
		cp_error_destroy(err);
		err = cp_banner_find(p->mem, NULL, &p->banner,
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
			p->steps[1].detail ? p->steps[1].detail : "?");
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
	free(p);
}

const char *cp_profile_release(const struct cp_profile *p)
{
	return p->release;
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
