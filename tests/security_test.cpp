// SPDX-License-Identifier: MIT
//
// Security properties of the `bulkscore` executable, checked end to end on child processes:
// every file it creates (the database and its -wal and -shm files, `--out` results, rejections
// and checkpoint files, `generate` output) grants nothing the user's umask withholds and is
// never world-writable; job names and paths full of SQL and shell syntax are stored and
// printed as data, never run; and debug logging carries paths and counters, never a secret
// from the environment.
//
// The umask is set in this process just before each child starts and restored right after:
// a child inherits it at fork, exactly as from a user's shell.
//
// Thread safety: test code; one thread (the umask is process-wide).

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "support/crash_harness.hpp"
#include "support/test_support.hpp"
#include <signal.h>
#include <sys/stat.h>

namespace bulkscore {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TempDir;

// Sets the process umask for the scope: children started meanwhile inherit it.
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
    ScopedUmask(const ScopedUmask&) = delete;
    ScopedUmask& operator=(const ScopedUmask&) = delete;
    ~ScopedUmask() { ::umask(previous_); }

private:
    mode_t previous_;
};

// Sets an environment variable for the scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() { ::unsetenv(name_); }

private:
    const char* name_;
};

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    INFO(path.string());
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

// The user can read and write the file; the umask's bits and world-write are all clear.
void check_mode(const fs::path& path, mode_t mask) {
    const mode_t mode = mode_of(path);
    INFO(fmt::format("{} has mode {:04o} under umask {:04o}", path.string(), mode, mask));
    CHECK((mode & (S_IRUSR | S_IWUSR)) == (S_IRUSR | S_IWUSR));
    CHECK((mode & mask) == 0);
    CHECK((mode & S_IWOTH) == 0);
    CHECK((mode & (S_ISUID | S_ISGID | S_IXUSR | S_IXGRP | S_IXOTH)) == 0);
}

// Files the CLI opens itself ask for 0664 and let the umask decide the rest: others never get
// write, even under umask 000.
void check_exact_mode(const fs::path& path, mode_t mask) {
    check_mode(path, mask);
    CHECK(mode_of(path) == (0664 & ~mask));
}

void require_cli(const std::vector<std::string>& arguments) {
    const testing::ProcessResult result = testing::run_cli(arguments);
    INFO(fmt::format("bulkscore {}\nstderr: {}", fmt::join(arguments, " "), result.err));
    REQUIRE(result.exit_code == 0);
}

fs::path with_suffix(fs::path path, const char* suffix) {
    path += suffix;
    return path;
}

TEST_CASE("Security: files the CLI creates honour the umask and are never world-writable",
          "[security]") {
    const mode_t mask = GENERATE(mode_t{027}, mode_t{002}, mode_t{077}, mode_t{000});
    TempDir dir;
    const fs::path site = dir / "site.csv";
    const fs::path out = dir / "scores.csv";
    const fs::path db = dir / "site.db";
    {
        const ScopedUmask scoped(mask);
        require_cli({"generate", "20000", site.string(), "--seed", "5"});
        require_cli({"score", site.string(), "--out", out.string(), "--progress", "none"});
        require_cli({"score", site.string(), "--db", db.string(), "--progress", "none"});
        // A kill at the log's first write leaves the -wal and -shm files as the run made them
        // (a clean close deletes them).
        const fs::path killed = dir / "killed.db";
        const auto run = testing::crash::run_and_signal(
            {"score", site.string(), "--db", killed.string(), "--progress", "none",
             "--checkpoint-interval-ms", "0", "--batch-size", "200", "--workers", "1"},
            dir / "killed.log", 0us, SIGKILL, with_suffix(killed, "-wal"));
        REQUIRE(run.signal_sent);
        check_mode(killed, mask);
        check_mode(with_suffix(killed, "-wal"), mask);
        // SQLite makes the -shm file when it first needs it, which a kill may come before.
        if (fs::exists(with_suffix(killed, "-shm"))) {
            check_mode(with_suffix(killed, "-shm"), mask);
        }
    }
    check_mode(site, mask);
    check_exact_mode(out, mask);
    check_exact_mode(with_suffix(out, ".rejections.csv"), mask);
    check_exact_mode(with_suffix(out, ".checkpoint"), mask);
    check_mode(db, mask);
}

// The `jobs` row of `name`, looked up with a bound parameter (the name is hostile here).
std::optional<testing::crash::JobRow> read_job(const testing::crash::Database& db,
                                               const std::string& name) {
    sqlite3_stmt* select = nullptr;
    REQUIRE(sqlite3_prepare_v2(db.get(), "SELECT state, scored, rejected FROM jobs WHERE job = ?1",
                               -1, &select, nullptr) == SQLITE_OK);
    sqlite3_bind_text(select, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    std::optional<testing::crash::JobRow> found;
    if (sqlite3_step(select) == SQLITE_ROW) {
        found.emplace();
        found->state = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
        found->scored = static_cast<std::uint64_t>(sqlite3_column_int64(select, 1));
        found->rejected = static_cast<std::uint64_t>(sqlite3_column_int64(select, 2));
    }
    sqlite3_finalize(select);
    return found;
}

// A job name and paths made of SQL and shell syntax: if any reached SQL text or a shell, the
// tables would be gone, the counts wrong or a marker file would exist.
constexpr const char* kEvilJob = "x'); DROP TABLE scores; -- \"$(touch pwned-job)\"";
constexpr const char* kEvilName = "a;b $(touch pwned-path) `touch pwned-tick` 'q' \"d\".csv";

TEST_CASE("Security: job names and paths with SQL and shell syntax are kept as data",
          "[security]") {
    TempDir dir;
    const fs::path folder = dir / "we'ird $(touch pwned-dir)";
    fs::create_directories(folder);
    const fs::path site = folder / kEvilName;
    const fs::path db = folder / "o'; DROP TABLE jobs; --.db";
    const fs::path out = folder / "out $(touch pwned-out).csv";
    require_cli({"generate", "3000", site.string(), "--seed", "9"});
    require_cli(
        {"score", site.string(), "--db", db.string(), "--job", kEvilJob, "--progress", "none"});
    require_cli(
        {"score", site.string(), "--out", out.string(), "--job", kEvilJob, "--progress", "none"});

    const testing::crash::Database database(db);
    REQUIRE(database.ok());
    const auto job = read_job(database, kEvilJob);
    REQUIRE(job.has_value());
    CHECK(job->state == "finished");
    CHECK(job->scored + job->rejected == 3000);
    std::int64_t rows = 0;
    database.query("SELECT count(*) FROM scores",
                   [&](sqlite3_stmt* row) { rows = sqlite3_column_int64(row, 0); });
    CHECK(static_cast<std::uint64_t>(rows) == job->scored);

    const auto status = testing::run_cli({"status", "--db", db.string(), "--job", kEvilJob});
    INFO(status.err);
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("x'); DROP TABLE scores;") != std::string::npos);
    const auto top = testing::run_cli(
        {"top", "--db", db.string(), "--job", kEvilJob, "-n", "5", "--format", "csv"});
    CHECK(top.exit_code == 0);
    CHECK(testing::lines_of(top.out).size() == 6);  // A header and five rows.

    // Command substitution would have created these in the child's or the folder's directory.
    for (const char* marker : {"pwned-job", "pwned-path", "pwned-tick", "pwned-dir", "pwned-out"}) {
        INFO(marker);
        CHECK(!fs::exists(fs::current_path() / marker));
        CHECK(!fs::exists(dir / marker));
        CHECK(!fs::exists(folder / marker));
    }
}

TEST_CASE("Security: debug logging names paths and counts, never secrets from the environment",
          "[security]") {
    TempDir dir;
    const fs::path site = dir / "site.csv";
    const fs::path db = dir / "site.db";
    require_cli({"generate", "5000", site.string(), "--seed", "2"});
    const char* secret = "s3cr3t-Hunter2-value";
    const ScopedEnv password("PGPASSWORD", secret);
    const ScopedEnv url("DATABASE_URL", "postgresql://user:s3cr3t-Hunter2-value@db.example/x");
    const ScopedEnv token("BULKSCORE_TOKEN", secret);
    const auto result =
        testing::run_cli({"score", site.string(), "--db", db.string(), "--progress", "none",
                          "--log-level", "debug", "--checkpoint-interval-ms", "0"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    // Debug is really on: a checkpoint line per checkpoint, and the paths are there.
    CHECK(result.err.find("checkpoint job=") != std::string::npos);
    CHECK(result.err.find(db.string()) != std::string::npos);
    for (const std::string& text : {result.err, result.out}) {
        CHECK(text.find("s3cr3t") == std::string::npos);
        std::string lower = text;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        CHECK(lower.find("password") == std::string::npos);
        CHECK(lower.find("postgresql://") == std::string::npos);
    }
}

}  // namespace
}  // namespace bulkscore
