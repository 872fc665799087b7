/*
 * labviews MODE: the views scenario's odd processes, one per mode, each
 * something a memory-side process view must get right.  Every mode creates
 * /run/lab/views-MODE.ready, non-empty, when set up; all but `deleted` then
 * sleep forever.
 *
 *   fds      open files of every kind: a pipe (both ends), an eventfd, an
 *            epoll watching it, a timerfd, a socketpair, /tmp/lab-append.log
 *            opened O_WRONLY|O_APPEND|O_CREAT (6 bytes written), a file
 *            unlinked while open (/tmp/lab-unlinked -> "(deleted)"), a file
 *            with an odd name (below) opened O_RDONLY, and a UDP socket
 *            connected to 10.99.0.2:9 over dummy0 that sent 5 datagrams of
 *            100 bytes (dummy0's tx counters)
 *   priv     dropped privileges: groups 1000,2000; gid 1000/1001/1002
 *            (real/effective/saved); uid 1000/1001/1002; so euid != uid and
 *            fsuid == euid == 1001, fsgid == egid == 1001
 *   memfd    a fileless process: copies its own binary into a memfd named
 *            "lab-fileless" and execs it from there (execveat AT_EMPTY_PATH)
 *            with argv "lab-fileless memfd-child"; exe is "/memfd:lab-fileless
 *            (deleted)" and the memfd stays open as fd 3
 *   deleted  copies its binary to /tmp/lab-deleted-exe, starts it as
 *            "lab-deleted-exe idle", waits until it runs, deletes the file
 *            and exits: the child's exe is "/tmp/lab-deleted-exe (deleted)"
 *   odd      copies its binary to "/tmp/odd dir/odd\nname\xff" and execs it
 *            with argv [ODDNAME, "odd-child", "with space", "new\nline",
 *            "bad\xff\xfe utf8", "tab\there", ""] and LAB_ODD="x\xffy\nz" in
 *            its environment; comm is "odd\nname\xff" (the exec basename);
 *            holds "/tmp/odd dir/file with\nnewline \xfe.txt" open
 *   idle     sleep forever
 *
 * Not for: anything but the lab guest (it writes under /tmp and /run/lab).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define ODD_DIR "/tmp/odd dir"
#define ODD_EXE ODD_DIR "/odd\nname\xff"
#define ODD_FILE ODD_DIR "/file with\nnewline \xfe.txt"

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static _Noreturn void ready_and_sleep(const char *mode)
{
    char path[128];
    snprintf(path, sizeof path, "/run/lab/views-%s.ready", mode);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && write(fd, "1\n", 2) == 2)
        close(fd);
    for (;;)
        pause();
}

/* Copy /proc/self/exe into FD (a file or memfd). */
static void copy_self(int out)
{
    int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (in < 0)
        die("labviews: /proc/self/exe");
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            die("labviews: copy");
    close(in);
}

static int copy_self_to(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0)
        die(path);
    copy_self(fd);
    close(fd);
    return 0;
}

static void mode_fds(void)
{
    int p[2], sp[2];
    if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
        die("labviews: pipe");
    int efd = eventfd(7, 0), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {.it_value = {3600, 0}, .it_interval = {3600, 0}};
    timerfd_settime(tfd, 0, &its, NULL);
    int app = open("/tmp/lab-append.log", O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (app < 0 || write(app, "hello\n", 6) != 6)
        die("labviews: /tmp/lab-append.log");
    int un = open("/tmp/lab-unlinked", O_RDWR | O_CREAT | O_TRUNC, 0600);
    unlink("/tmp/lab-unlinked");
    mkdir(ODD_DIR, 0755);
    int odd = open(ODD_FILE, O_RDONLY | O_CREAT, 0644);
    if (un < 0 || odd < 0)
        die("labviews: files");
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "10.99.0.2", &a.sin_addr);
    char payload[100] = "lab views datagram";
    if (connect(u, (struct sockaddr *)&a, sizeof a) == 0)
        for (int i = 0; i < 5; i++)
            send(u, payload, sizeof payload, 0);
    ready_and_sleep("fds");
}

static void mode_priv(void)
{
    /* Unprivileged, it could not create the ready file: open it now, write it after. */
    int ready = open("/run/lab/views-priv.ready", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    gid_t groups[] = {1000, 2000};
    if (setgroups(2, groups) || setresgid(1000, 1001, 1002) || setresuid(1000, 1001, 1002))
        die("labviews: drop privileges");
    if (ready < 0 || write(ready, "1\n", 2) != 2)
        die("labviews: priv ready");
    close(ready);
    for (;;)
        pause();
}

static void mode_memfd(char **envp)
{
    int fd = (int)syscall(SYS_memfd_create, "lab-fileless", 0);
    if (fd < 0)
        die("labviews: memfd_create");
    copy_self(fd);
    char *argv[] = {"lab-fileless", "memfd-child", NULL};
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    die("labviews: execveat memfd");
}

static void mode_deleted(void)
{
    const char *path = "/tmp/lab-deleted-exe";
    copy_self_to(path);
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, "lab-deleted-exe", "idle", (char *)NULL);
        _exit(127);
    }
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/%d/exe", pid);
    for (int i = 0; i < 200; i++) { /* until the child runs the copy */
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0 && (target[n] = 0, strcmp(target, path) == 0))
            break;
        usleep(20000);
    }
    unlink(path);
    int fd = open("/run/lab/views-deleted.ready", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0 && write(fd, "1\n", 2) == 2)
        close(fd);
}

static void mode_odd(char **envp)
{
    mkdir(ODD_DIR, 0755);
    copy_self_to(ODD_EXE);
    char *argv[] = {ODD_EXE, "odd-child", "with space", "new\nline", "bad\xff\xfe utf8", "tab\there", "", NULL};
    size_t n = 0;
    while (envp[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    memcpy(env, envp, n * sizeof *env);
    env[n] = "LAB_ODD=x\xffy\nz";
    execve(ODD_EXE, argv, env);
    die("labviews: exec odd");
}

int main(int argc, char **argv, char **envp)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "fds"))
        mode_fds();
    else if (!strcmp(mode, "priv"))
        mode_priv();
    else if (!strcmp(mode, "memfd"))
        mode_memfd(envp);
    else if (!strcmp(mode, "memfd-child"))
        ready_and_sleep("memfd");
    else if (!strcmp(mode, "deleted"))
        mode_deleted();
    else if (!strcmp(mode, "odd"))
        mode_odd(envp);
    else if (!strcmp(mode, "odd-child")) {
        if (open(ODD_FILE, O_RDONLY) < 0)
            die("labviews: odd file");
        ready_and_sleep("odd");
    } else if (!strcmp(mode, "idle"))
        for (;;)
            pause();
    else {
        fprintf(stderr, "usage: labviews fds|priv|memfd|deleted|odd|idle\n");
        return 2;
    }
    return 0;
}
