/*
 * vmcoreinfo.h - the kernel's VMCOREINFO text (see vmcoreinfo.c).
 * The lookup functions are public (cloudprobe.h); this adds what tests use.
 */
#ifndef CP_KERNEL_VMCOREINFO_H
#define CP_KERNEL_VMCOREINFO_H

#include "cloudprobe.h"

/* Parses VMCOREINFO text from a buffer (unit tests, fuzzing). */
struct cp_error *cp_vmcoreinfo_parse_text(const char *text, size_t len,
					  struct cp_vmcoreinfo **ret);

#endif /* CP_KERNEL_VMCOREINFO_H */
