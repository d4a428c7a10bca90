// SPDX-License-Identifier: MIT
//
// Faults that come from the system rather than from a wrapper, for the fault-injection tests:
//
// - `TmpfsMount`: a size-limited tmpfs mounted on a directory (a disk that fills up), which can
//   be grown back or made read-only; unmounted on destruction;
// - `ImmutableFile`: `chattr +i` on a file, which stops even root from writing it;
// - `SqliteLockHolder`: a separate `sqlite3` process (fork/exec, no shell) that holds a write
//   transaction on a database until released, as another program would.
//
// Each reports whether the system allowed it, so that a test can skip with a printed reason
// where it does not (not root, no mount permission, a file system without the flag).
//
// Thread safety: test code; an object is used by one thread at a time. Between `fork` and
// `exec` the child makes only async-signal-safe calls.

#pragma once

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bulkscore::testing {

/// A tmpfs of a given size mounted on a fresh directory. Requires root (CAP_SYS_ADMIN).
class TmpfsMount {
public:
    /// Mounts a tmpfs of `bytes` on `dir` (created when missing). Empty, with the reason in
    /// `why`, when the system does not allow it.
    static std::optional<TmpfsMount> mount(const std::filesystem::path& dir,
                                           std::uint64_t bytes,
                                           std::string& why) {
        if (::geteuid() != 0) {
            why = "mounting a small file system needs root";
            return std::nullopt;
        }
        std::filesystem::create_directories(dir);
        const std::string options = fmt::format("size={},mode=0755", bytes);
        if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
            why =
                fmt::format("mount -t tmpfs on {} failed: {}", dir.string(), std::strerror(errno));
            return std::nullopt;
        }
        return TmpfsMount(dir);
    }

    TmpfsMount(TmpfsMount&& other) noexcept : dir_(std::exchange(other.dir_, {})) {}
    TmpfsMount& operator=(TmpfsMount&&) = delete;
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    ~TmpfsMount() {
        if (!dir_.empty() && ::umount2(dir_.c_str(), 0) != 0) {
            ::umount2(dir_.c_str(), MNT_DETACH);  // Busy (a file still open): detach it.
        }
    }

    /// Changes the size limit (space "returns" when it grows). True on success.
    bool resize(std::uint64_t bytes) {
        const std::string options = fmt::format("size={}", bytes);
        return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
    }

    /// Remounts read-only (or writable again). True on success.
    bool set_read_only(bool read_only) {
        const unsigned long flags =
            MS_REMOUNT | (read_only ? static_cast<unsigned long>(MS_RDONLY) : 0UL);
        return ::mount("tmpfs", dir_.c_str(), "tmpfs", flags, nullptr) == 0;
    }

    const std::filesystem::path& path() const noexcept { return dir_; }
    std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }

private:
    explicit TmpfsMount(std::filesystem::path dir) : dir_(std::move(dir)) {}

    std::filesystem::path dir_;
};

/// Makes a file immutable (even for root) while alive, where the file system supports it.
class ImmutableFile {
public:
    explicit ImmutableFile(std::filesystem::path path) : path_(std::move(path)) {
        applied_ = set_flag(true);
    }
    ImmutableFile(const ImmutableFile&) = delete;
    ImmutableFile& operator=(const ImmutableFile&) = delete;
    ~ImmutableFile() { release(); }

    bool applied() const noexcept { return applied_; }

    /// Makes the file writable again (also done on destruction).
    void release() {
        if (applied_) {
            set_flag(false);
            applied_ = false;
        }
    }

private:
    bool set_flag(bool on) {
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        int flags = 0;
        bool done = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
        if (done) {
            flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
            done = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
        }
        ::close(fd);
        return done;
    }

    std::filesystem::path path_;
    bool applied_ = false;
};

/// A `sqlite3` shell in its own process holding `BEGIN EXCLUSIVE` on a database (in WAL mode
/// the write lock; readers go on). `release` rolls the transaction back and ends the process.
class SqliteLockHolder {
public:
    /// Starts the shell and waits (at most 30 s, a hang guard) until it holds the lock. Empty,
    /// with the reason in `why`, when `sqlite3` cannot be started or does not get the lock.
    static std::optional<SqliteLockHolder> hold(const std::filesystem::path& db, std::string& why) {
        int to_child[2];
        int from_child[2];
        if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) {
            why = "pipe failed";
            return std::nullopt;
        }
        std::string db_text = db.string();
        std::array<char*, 4> argv{const_cast<char*>("sqlite3"), const_cast<char*>("-batch"),
                                  db_text.data(), nullptr};
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::dup2(to_child[0], STDIN_FILENO);
            ::dup2(from_child[1], STDOUT_FILENO);
            ::dup2(from_child[1], STDERR_FILENO);
            ::execvp(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(to_child[0]);
        ::close(from_child[1]);
        SqliteLockHolder holder(pid, to_child[1], from_child[0]);
        if (pid < 0) {
            why = "fork failed";
            return std::nullopt;
        }
        // The insert makes the write lock certain (and is rolled back at the end). The timeout
        // lets the engine finish a commit it is in the middle of (slow under sanitizers) instead
        // of failing to take the lock.
        holder.send(
            ".timeout 30000\n"
            "BEGIN EXCLUSIVE;\n"
            "INSERT INTO jobs(job, state) VALUES('lock-holder', 'running');\n"
            ".print holding-the-lock\n");
        const std::string said = holder.read_until("holding-the-lock", std::chrono::seconds(30));
        if (said.find("holding-the-lock") == std::string::npos ||
            said.find("Error") != std::string::npos) {
            why = "sqlite3 did not take the lock: " + said;
            return std::nullopt;
        }
        return holder;
    }

    SqliteLockHolder(SqliteLockHolder&& other) noexcept
        : pid_(std::exchange(other.pid_, -1)),
          in_(std::exchange(other.in_, -1)),
          out_(std::exchange(other.out_, -1)) {}
    SqliteLockHolder& operator=(SqliteLockHolder&&) = delete;
    SqliteLockHolder(const SqliteLockHolder&) = delete;
    SqliteLockHolder& operator=(const SqliteLockHolder&) = delete;
    ~SqliteLockHolder() { release(); }

    /// Rolls back and waits for the shell to end. Idempotent.
    void release() {
        if (in_ >= 0) {
            send("ROLLBACK;\n.quit\n");
            ::close(in_);
            in_ = -1;
        }
        if (out_ >= 0) {
            ::close(out_);
            out_ = -1;
        }
        if (pid_ > 0) {
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

private:
    SqliteLockHolder(pid_t pid, int in, int out) : pid_(pid), in_(in), out_(out) {}

    void send(std::string_view text) const {
        while (!text.empty()) {
            const ssize_t n = ::write(in_, text.data(), text.size());
            if (n <= 0) {
                return;
            }
            text.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    std::string read_until(std::string_view marker, std::chrono::seconds limit) const {
        std::string said;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (said.find(marker) == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            pollfd ready{out_, POLLIN, 0};
            if (::poll(&ready, 1, 100) <= 0) {
                continue;
            }
            std::array<char, 4096> buffer{};
            const ssize_t n = ::read(out_, buffer.data(), buffer.size());
            if (n <= 0) {
                break;
            }
            said.append(buffer.data(), static_cast<std::size_t>(n));
        }
        return said;
    }

    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
};

}  // namespace bulkscore::testing
