/*
 * profile.c - kernel discovery: from guest RAM to a cp_profile.
 *
 * Discovery is a fixed sequence of steps (the table below), each recorded
 * with its outcome, time and the bytes it searched, so a user can see what
 * worked and what a failure cost. A step that fails does not end discovery:
 * later steps may still identify the kernel, and each checks what earlier
 * ones claim. The steps themselves live in discover.c and kaslr.c.
 *
 * Not here: what the steps do (discover.c, kaslr.c), type and symbol
 * queries (profile_types.c).
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

char *cp_profile_format(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static const struct {
	const char *name;
	cp_discovery_fn *run;
} steps[] = {
	{ "vmcoreinfo", cp_step_vmcoreinfo },
	{ "files", cp_step_files },
	{ "cache", cp_step_cache },
	{ "kallsyms", cp_step_kallsyms },
	{ "btf", cp_step_btf },
	{ "kaslr", cp_step_kaslr },
	{ "uts", cp_step_uts },
	{ "banner", cp_step_banner },
	{ "save", cp_step_save_cache },
};

_Static_assert(sizeof(steps) / sizeof(steps[0]) <= CP_PROFILE_MAX_STEPS,
	       "room for every discovery step");

static const struct cp_discovery_step *find_step(const struct cp_profile *p,
						 const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (strcmp(p->steps[i].name, name) == 0)
			return &p->steps[i];
	return NULL;
}

struct cp_error *cp_profile_discover_opts(struct cp_mem *mem,
					  const struct cp_profile_opts *opts,
					  struct cp_profile **ret)
{
	struct cp_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return &cp_enomem;
	p->mem = mem;
	if (opts)
		p->opts = *opts;
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
		/* Out of memory, or files the user named are unreadable:
		 * no point going on. */
		if (err && (cp_error_code(err) == CP_ERR_NOMEM ||
			    steps[i].run == cp_step_files)) {
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
		/* Nothing identified a kernel: say what the carvers saw. */
		const struct cp_discovery_step *v = find_step(p, "vmcoreinfo");
		const struct cp_discovery_step *b = find_step(p, "banner");
		struct cp_error *err = cp_error_create(
			CP_ERR_NOT_FOUND,
			"no Linux kernel found in %s:%s (%" PRIu64 " MiB): %s; %s",
			cp_mem_kind(mem), cp_mem_path(mem),
			cp_mem_size(mem) >> 20,
			v && v->detail ? v->detail : "?",
			b && b->detail ? b->detail : "?");
		cp_profile_destroy(p);
		return err;
	}
	p->opts = (struct cp_profile_opts){ 0 };	/* strings were borrowed */
	*ret = p;
	return NULL;
}

struct cp_error *cp_profile_discover(struct cp_mem *mem,
				     struct cp_profile **ret)
{
	return cp_profile_discover_opts(mem, NULL, ret);
}

void cp_profile_destroy(struct cp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsteps; i++)
		free((char *)p->steps[i].detail);
	cp_vas_destroy(p->kvas);
	cp_kallsyms_destroy(p->ksyms);
	cp_kallsyms_destroy(p->file_ksyms);
	cp_btf_index_destroy(p->btf_index);
	btf__free(p->btf);
	free(p->types_origin);
	cp_vmcoreinfo_destroy(p->vmcoreinfo);
	free(p->release);
	free(p->build_id);
	free(p->banner);
	free(p->uts_version);
	free(p->nodename);
	free(p);
}

const char *cp_profile_release(const struct cp_profile *p)
{
	return p->release;
}

const char *cp_profile_build_id(const struct cp_profile *p)
{
	return p->build_id;
}

bool cp_profile_from_cache(const struct cp_profile *p)
{
	return p->from_cache;
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

struct cp_mem *cp_profile_mem(const struct cp_profile *p)
{
	return p->mem;
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

void cp_profile_tables(const struct cp_profile *p,
		       struct cp_profile_tables *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->btf_paddr = p->btf_info.paddr;
	ret->btf_size = p->btf_info.size;
	ret->types_origin = p->types_origin;
	if (p->ksyms) {
		const struct cp_kallsyms_info *ki = cp_kallsyms_info(p->ksyms);
		ret->kallsyms_origin = ki->origin;
		ret->kallsyms_layout = ki->layout;
		ret->kallsyms_names_paddr = ki->names_paddr;
		ret->kallsyms_markers_paddr = ki->markers_paddr;
		ret->kallsyms_token_table_paddr = ki->token_table_paddr;
		ret->kallsyms_token_index_paddr = ki->token_index_paddr;
	}
}

const struct cp_discovery_step *
cp_profile_failed_step(const struct cp_profile *p)
{
	static const char *const core[] = { "kallsyms", "btf", "kaslr" };
	for (size_t c = 0; c < sizeof(core) / sizeof(core[0]); c++) {
		const struct cp_discovery_step *s = find_step(p, core[c]);
		if (s && !s->ok)
			return s;
	}
	return NULL;
}
