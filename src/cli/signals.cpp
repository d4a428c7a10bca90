// SPDX-License-Identifier: MIT
//
// The self-pipe behind `InterruptWatcher`: the handler writes a byte, the watcher thread reads
// it and calls the callback. Stopping the watcher writes a different byte.

#include "cli/signals.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include <fcntl.h>
#include <unistd.h>

namespace bulkscore::cli {
namespace {

constexpr char kInterruptByte = 'i';
constexpr char kStopByte = 'q';

// State the handler reads: plain globals, because a handler cannot reach an object.
std::atomic<int> g_signals{0};
std::atomic<int> g_write_fd{-1};
std::atomic<bool> g_installed{false};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

extern "C" void handle_signal(int /*signal*/) {
    const int saved_errno = errno;
    if (g_signals.fetch_add(1) >= 1) {
        constexpr char kMessage[] =
            "\nbulkscore: interrupted again, stopping now; the last checkpoint is kept and "
            "running the same command resumes from it\n";
        [[maybe_unused]] const ssize_t ignored =
            ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
        ::_exit(kExitCancelled);
    }
    const int fd = g_write_fd.load();
    if (fd >= 0) {
        [[maybe_unused]] const ssize_t ignored = ::write(fd, &kInterruptByte, 1);
    }
    errno = saved_errno;
}

}  // namespace

class InterruptWatcher::Impl {
public:
    ~Impl() {
        if (thread_.joinable()) {
            // The write can only fail if the pipe is full, which a watcher never lets happen.
            [[maybe_unused]] const ssize_t ignored = ::write(pipe_[1], &kStopByte, 1);
            thread_.join();
        }
        if (handlers_installed_) {
            ::sigaction(SIGINT, &previous_int_, nullptr);
            ::sigaction(SIGTERM, &previous_term_, nullptr);
        }
        g_write_fd.store(-1);
        for (const int fd : pipe_) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        g_installed.store(false);
    }

    Status start(std::function<void()> on_interrupt) {
        if (::pipe2(pipe_, O_CLOEXEC) != 0) {
            return internal_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
        }
        g_signals.store(0);
        g_write_fd.store(pipe_[1]);
        try {
            thread_ = std::thread([this, callback = std::move(on_interrupt)] { watch(callback); });
        } catch (const std::system_error& error) {
            return internal_error(fmt::format("cannot start the signal watcher: {}", error.what()));
        }
        struct sigaction action {};
        action.sa_handler = handle_signal;
        sigemptyset(&action.sa_mask);
        // Restart interrupted system calls, so that no other thread sees a stray EINTR.
        action.sa_flags = SA_RESTART;
        if (::sigaction(SIGINT, &action, &previous_int_) != 0 ||
            ::sigaction(SIGTERM, &action, &previous_term_) != 0) {
            return internal_error(
                fmt::format("cannot install the signal handlers: {}", std::strerror(errno)));
        }
        handlers_installed_ = true;
        return ok_status();
    }

private:
    void watch(const std::function<void()>& on_interrupt) {
        bool called = false;
        while (true) {
            char byte = 0;
            const ssize_t got = ::read(pipe_[0], &byte, 1);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0 || byte == kStopByte) {
                return;
            }
            if (!called) {
                called = true;
                on_interrupt();
            }
        }
    }

    int pipe_[2] = {-1, -1};
    std::thread thread_;
    bool handlers_installed_ = false;
    struct sigaction previous_int_ {};
    struct sigaction previous_term_ {};
};

Result<std::unique_ptr<InterruptWatcher>> InterruptWatcher::start(
    std::function<void()> on_interrupt) {
    if (g_installed.exchange(true)) {
        return failed_precondition_error("a signal watcher is already installed");
    }
    auto impl = std::make_unique<Impl>();
    BULKSCORE_RETURN_IF_ERROR(impl->start(std::move(on_interrupt)));
    return std::unique_ptr<InterruptWatcher>(new InterruptWatcher(std::move(impl)));
}

InterruptWatcher::InterruptWatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InterruptWatcher::~InterruptWatcher() = default;

bool InterruptWatcher::interrupted() const noexcept {
    return g_signals.load() > 0;
}

}  // namespace bulkscore::cli
