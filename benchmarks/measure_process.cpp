// SPDX-License-Identifier: MIT
//
// `bulkscore_measure_process REPORT -- COMMAND [ARGS...]`: runs COMMAND (stdin, stdout and
// stderr inherited), waits for it with wait4() and writes its wall time, user and system CPU
// time, peak RSS and exit status to REPORT as one JSON object. Exits with COMMAND's status
// (128 + signal when a signal ended it). SIGUSR1 makes it SIGKILL the command, which is how
// `benchmarks/run` kills a run half way without killing this process.
//
// Why a launcher of its own: Linux carries a process's peak RSS over from the process that
// spawned it (the spawner's high-water mark is recorded at exec), so a command started straight
// from the Python driver would report the driver's 30+ MiB as its peak. Spawned from this small
// program, the floor is this program's own (about 1.5 MiB, reported as `launcher_rss_kib`).
//
// Thread safety: single-threaded; the signal handler only calls kill().

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

volatile sig_atomic_t child_pid = 0;

void kill_child(int) {
    if (child_pid > 0) {
        kill(child_pid, SIGKILL);
    }
}

double seconds_of(const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
}

double now_s() {
    timespec time{};
    clock_gettime(CLOCK_MONOTONIC, &time);
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_nsec) / 1e9;
}

long own_peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
        std::fprintf(stderr, "usage: bulkscore_measure_process REPORT -- COMMAND [ARGS...]\n");
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = kill_child;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, nullptr);

    const double start = now_s();
    pid_t pid = 0;
    if (const int error = posix_spawnp(&pid, argv[3], nullptr, nullptr, argv + 3, environ);
        error != 0) {
        std::fprintf(stderr, "bulkscore_measure_process: cannot run %s: %s\n", argv[3],
                     std::strerror(error));
        return 127;
    }
    child_pid = pid;
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            std::perror("bulkscore_measure_process: wait4");
            return 1;
        }
    }
    const double wall = now_s() - start;
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const int signal_number = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

    std::FILE* report = std::fopen(argv[1], "w");
    if (report == nullptr) {
        std::perror("bulkscore_measure_process: the report file");
        return 1;
    }
    std::fprintf(report,
                 "{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kib\":%ld,"
                 "\"exit_code\":%d,\"signal\":%d,\"launcher_rss_kib\":%ld}\n",
                 wall, seconds_of(usage.ru_utime), seconds_of(usage.ru_stime), usage.ru_maxrss,
                 exit_code, signal_number, own_peak_rss_kib());
    std::fclose(report);
    return exit_code;
}
