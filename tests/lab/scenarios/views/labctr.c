/*
 * labctr: a minimal "container" for the views scenario: a process tree in
 * its own pid, mount, network, uts and ipc namespaces, in the cgroup v2
 * group /ctr1 (children in /ctr1/app) and, from there, its own cgroup
 * namespace.  What runs where (argv[0] picks the role; comm is set to it):
 *
 *   labctr        the shim, in the guest's namespaces: creates
 *                 /sys/fs/cgroup/ctr1 and ctr1/app (cgroup2 must be mounted
 *                 there), clones ctr-init into new namespaces, moves it into
 *                 /ctr1, lets it go, waits until its TCP pair is ESTABLISHED,
 *                 creates /run/lab/ctr.ready, then reaps forever
 *   ctr-init      pid 1 of the new pid namespace: hostname "ctr1", mounts
 *                 made private, a fresh proc on /proc and a tmpfs on /tmp
 *                 (only in its mount namespace), lo up, unshare of the
 *                 cgroup namespace (root /ctr1); starts ctr-server and
 *                 ctr-client (moved to /ctr1/app) and reaps
 *   ctr-server    TCP LISTEN 127.0.0.1:7101, UDP 127.0.0.1:7103, abstract
 *                 unix stream listener "@lab-ctr" -- all in the container's
 *                 network namespace -- accepts and holds
 *   ctr-client    ESTABLISHED 127.0.0.1:x <-> 127.0.0.1:7101
 *
 * Environment of the container processes: container=lab, LAB_ROLE=ROLE.
 * Not for: isolation of anything; the lab guest trusts all of it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CG "/sys/fs/cgroup/ctr1"

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void write_str(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        die(path);
    close(fd);
}

static void move_to_cgroup(const char *dir, pid_t pid)
{
    char path[128], s[24];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    snprintf(s, sizeof s, "%d\n", pid);
    write_str(path, s);
}

static pid_t spawn(const char *role)
{
    pid_t pid = fork();
    if (pid == 0) {
        char env_role[64];
        snprintf(env_role, sizeof env_role, "LAB_ROLE=%s", role);
        char *argv[] = {(char *)role, NULL}, *envp[] = {"container=lab", env_role, "PATH=/bin:/sbin", NULL};
        execve("/bin/labctr", argv, envp);
        _exit(127);
    }
    return pid;
}

static _Noreturn void reap_forever(void)
{
    for (;;)
        if (wait(NULL) < 0)
            pause();
}

static void lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        die("ctr-init: lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        die("ctr-init: lo up");
    close(s);
}

static _Noreturn void ctr_init(void)
{
    if (sethostname("ctr1", 4) < 0)
        die("ctr-init: hostname");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die("ctr-init: private mounts");
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die("ctr-init: proc");
    if (mount("ctr-tmp", "/tmp", "tmpfs", 0, "size=1m,mode=1777") < 0)
        die("ctr-init: tmpfs");
    lo_up();
    if (unshare(CLONE_NEWCGROUP) < 0)
        die("ctr-init: cgroup namespace");
    pid_t server = spawn("ctr-server");
    /* pids written to cgroup.procs are read in the writer's pid namespace;
     * the cgroup2 mount is still the guest's, rooted at the real root. */
    move_to_cgroup(CG "/app", server);
    for (int i = 0; i < 100; i++) { /* until the listener is up */
        char buf[4096] = {0};
        int fd = open("/proc/net/tcp", O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n > 0 && strstr(buf, ":1BBD 00000000:0000 0A"))
            break;
        usleep(50000);
    }
    move_to_cgroup(CG "/app", spawn("ctr-client"));
    reap_forever();
}

static _Noreturn void ctr_server(void)
{
    int one = 1, t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
    int x = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7101)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(t, (struct sockaddr *)&a, sizeof a) || listen(t, 8))
        die("ctr-server: tcp");
    a.sin_port = htons(7103);
    if (bind(u, (struct sockaddr *)&a, sizeof a))
        die("ctr-server: udp");
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    memcpy(ua.sun_path + 1, "lab-ctr", 7); /* abstract: sun_path[0] == 0 */
    if (bind(x, (struct sockaddr *)&ua, offsetof(struct sockaddr_un, sun_path) + 8) || listen(x, 8))
        die("ctr-server: unix");
    struct pollfd p[2] = {{.fd = t, .events = POLLIN}, {.fd = x, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0)
            continue;
        for (int i = 0; i < 2; i++)
            if (p[i].revents & POLLIN)
                accept(p[i].fd, NULL, NULL); /* held open on purpose */
    }
}

static _Noreturn void ctr_client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7101)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    for (int tries = 0; connect(fd, (struct sockaddr *)&a, sizeof a); tries++) {
        if (tries == 100)
            die("ctr-client: connect");
        usleep(50000);
    }
    for (;;)
        pause();
}

static int child_fn(void *arg)
{
    int gate = *(int *)arg;
    char c;
    if (read(gate, &c, 1) != 1) /* the shim has moved us into /ctr1 */
        _exit(1);
    close(gate);
    char *argv[] = {"ctr-init", NULL}, *envp[] = {"container=lab", "LAB_ROLE=ctr-init", "PATH=/bin:/sbin", NULL};
    execve("/bin/labctr", argv, envp);
    _exit(127);
}

static void shim(void)
{
    if (mkdir(CG, 0755) < 0 && access(CG, F_OK) < 0)
        die("labctr: " CG " (is cgroup2 mounted on /sys/fs/cgroup?)");
    mkdir(CG "/app", 0755);
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) /* neither end may leak into the container */
        die("labctr: pipe");
    static char stack[64 * 1024];
    pid_t pid = clone(child_fn, stack + sizeof stack,
                      CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, &gate[0]);
    if (pid < 0)
        die("labctr: clone");
    close(gate[0]);
    move_to_cgroup(CG, pid);
    if (write(gate[1], "g", 1) != 1)
        die("labctr: gate");
    close(gate[1]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/net/tcp", pid);
    for (int i = 0; i < 200; i++) { /* the container's netns: its client connected */
        char buf[8192] = {0};
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n > 0 && strstr(buf, ":1BBD 0100007F:") && strstr(buf, " 01 "))
            break;
        usleep(50000);
    }
    int fd = open("/run/lab/ctr.ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        die("labctr: ready");
    close(fd);
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *role = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    prctl(PR_SET_NAME, role);
    if (!strcmp(role, "ctr-init"))
        ctr_init();
    if (!strcmp(role, "ctr-server"))
        ctr_server();
    if (!strcmp(role, "ctr-client"))
        ctr_client();
    shim();
    reap_forever();
}
