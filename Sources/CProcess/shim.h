#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
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

