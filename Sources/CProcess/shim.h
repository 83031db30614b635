#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

// pipe2(2) with O_CLOEXEC, which glibc declares only under _GNU_SOURCE.
static inline int imagectl_pipe_cloexec(int fds[2]) { return (int)syscall(SYS_pipe2, fds, O_CLOEXEC); }

// Starts the program at PATH with ARGV and ENVP, its standard streams on IN, OUT and ERR, and
// no other descriptor of ours. The child dies with the thread that started it (PR_SET_PDEATHSIG),
// so a helper never outlives imagectl, even after kill -9. Between fork and exec the child calls
// only async-signal-safe functions. Returns the pid, or -1 with errno set.
static inline pid_t imagectl_spawn(const char *path, char *const argv[], char *const envp[], int in, int out, int err) {
    // Kernels before 5.9 have no close_range: then every descriptor up to the limit is closed.
    struct rlimit files;
    long highest = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY && files.rlim_cur < 65536 ? (long)files.rlim_cur : 65536;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
        for (long fd = 3; fd < highest; fd++) close((int)fd);
    }
    signal(SIGPIPE, SIG_DFL);
    // imagectl blocks SIGINT and SIGTERM for its signal thread; its children get them as usual.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, envp);
    _exit(127);
}

// Large blocks (a build context's records, a layer's entries) always from their own mappings,
// returned to the kernel when freed. glibc otherwise raises this threshold each time such a block
// is freed, up to 32 MB, after which they come from the heap and stay resident after use.
static inline void imagectl_fix_mmap_threshold(void) { mallopt(M_MMAP_THRESHOLD, 128 * 1024); }

// Makes this process root of a new user namespace, in a mount namespace of its own whose mounts
// do not propagate back, as unshare(1) does with --map-users. Only a setuid helper may map more
// IDs than one's own, and only from outside the new namespace: a child forked first waits until
// the namespace exists, then runs UIDMAP and GIDMAP (newuidmap, newgidmap) with their ARGVs, their
// output on OUT. The kernel refuses unshare(CLONE_NEWUSER) to a process with several threads: call
// this before any thread starts. Returns 0 once mapped; -1 with errno when no namespace was made
// (the process is as it was); 1 when a helper failed, 2 (errno set) when the mounts could not be
// made private: the process is then in a namespace it cannot use, and should exit.
static inline int imagectl_enter_user_namespace(const char *uidmap, char *const uidArgv[], const char *gidmap,
                                                char *const gidArgv[], int out) {
    static char *const noEnvironment[] = {NULL};
    /* An ignored SIGCHLD (inherited across exec) makes waitpid fail with ECHILD: a failed
       mapping would read as success. Children are waited for here, so the default it is. */
    signal(SIGCHLD, SIG_DFL);
    int go[2];
    if (imagectl_pipe_cloexec(go) != 0) return -1;
    pid_t helper = fork();
    if (helper < 0) {
        int saved = errno;
        close(go[0]);
        close(go[1]);
        errno = saved;
        return -1;
    }
    if (helper == 0) {
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(3);
        if (dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(127);
        const char *paths[2] = {uidmap, gidmap};
        char *const *argvs[2] = {uidArgv, gidArgv};
        for (int i = 0; i < 2; i++) {
            pid_t p = fork();
            if (p == 0) {
                /* The setuid helper gets standard streams only, none of imagectl's descriptors. */
                syscall(SYS_close_range, 3, ~0U, 0);
                execve(paths[i], argvs[i], noEnvironment);
                _exit(127);
            }
            int status;
            pid_t r;
            while ((r = waitpid(p, &status, 0)) < 0 && errno == EINTR) {}
            if (p < 0 || r != p || !WIFEXITED(status) || WEXITSTATUS(status) != 0) _exit(1);
        }
        _exit(0);
    }
    close(go[0]);
    int made = (int)syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS);
    int saved = errno;
    if (made == 0 && write(go[1], "x", 1) != 1) made = -2;
    close(go[1]);
    int status = 0;
    pid_t reaped;
    while ((reaped = waitpid(helper, &status, 0)) < 0 && errno == EINTR) {}
    if (made == -1) {
        errno = saved;
        return -1;
    }
    if (made != 0 || reaped != helper || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return 2;
    return 0;
}
