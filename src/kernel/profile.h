/*
 * profile.h - the kernel profile's insides, shared by the discovery steps.
 * Users see only the accessors in cloudprobe.h.
 */
#ifndef CP_KERNEL_PROFILE_H
#define CP_KERNEL_PROFILE_H

#include "cloudprobe.h"

#define CP_PROFILE_MAX_STEPS 16

struct cp_profile {
	struct cp_mem *mem;		/* not owned */
	struct cp_vmcoreinfo *vmcoreinfo;
	char *release;
	char *banner;
	char *uts_version;	/* init_uts_ns: "#1 SMP ..." */
	char *nodename;		/* init_uts_ns: the host name */
	uint64_t banner_paddr;
	struct cp_discovery_step steps[CP_PROFILE_MAX_STEPS];
	size_t nsteps;
};

#endif /* CP_KERNEL_PROFILE_H */
