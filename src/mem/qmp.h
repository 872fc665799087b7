/*
 * qmp.h - a small client for QEMU's machine protocol (QMP) on a unix
 * socket (see qmp.c).
 *
 * Enough for memory sources and hypervisor features: connect and
 * negotiate, learn QEMU's PID from the socket itself (SO_PEERCRED), run a
 * command and get its "return" value, run a human monitor command and get
 * its text. Every wait is bounded by the timeout given at connect.
 *
 * QEMU serves one QMP client per socket at a time: hold a connection only
 * as long as needed. A socket already held (by libvirt, say) accepts the
 * connection but never greets; that is a CP_ERR_TIMEOUT.
 */
#ifndef CP_MEM_QMP_H
#define CP_MEM_QMP_H

#include <sys/types.h>

#include <jansson.h>

#include "cloudprobe.h"

struct cp_qmp;

/* Connects to the socket at path and negotiates capabilities. */
struct cp_error *cp_qmp_connect(const char *path, int timeout_ms,
				struct cp_qmp **ret);
void cp_qmp_close(struct cp_qmp *qmp);
/* The PID of the QEMU process serving the socket. */
pid_t cp_qmp_peer_pid(const struct cp_qmp *qmp);
/* QEMU's version string from the greeting ("7.2.22"), or "". */
const char *cp_qmp_version(const struct cp_qmp *qmp);
/*
 * Runs `command` with arguments (a JSON object, or NULL) and returns its
 * "return" value (new reference) in *ret. A QMP error reply becomes
 * CP_ERR_UNSUPPORTED with QEMU's description; events are skipped.
 */
struct cp_error *cp_qmp_execute(struct cp_qmp *qmp, const char *command,
				json_t *args, json_t **ret);
/* human-monitor-command: the monitor's text output, malloc'd. */
struct cp_error *cp_qmp_hmp(struct cp_qmp *qmp, const char *command_line,
			    char **ret);

#endif /* CP_MEM_QMP_H */
