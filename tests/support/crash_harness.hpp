// SPDX-License-Identifier: MIT
//
// The harness of the crash tests (crash_resume_test.cpp): runs the `bulkscore` executable as a
// child process (fork/exec, no shell) and signals it after a delay or at its next write to a
// file; compares two outputs row by row (SQLite tables, every column, doubles by their bits;
// CSV files record by record and byte for byte), counting what is missing, duplicated, extra or
// changed; and reads a SQLite write-ahead log to tell whether a kill tore a commit.
//
// Header-only because the test target compiles `tests/*_test.cpp` and `test_support.cpp` only.
// Waits are hang guards (`child_limit()`), never assertions on time.
//
// Thread safety: test code; one thread. Between `fork` and `exec` the child makes only
// async-signal-safe calls.

#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "support/test_support.hpp"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bulkscore::testing::crash {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// A hang guard only: a healthy child ends in a few seconds even on a loaded machine. Sanitizer
/// builds run children 5-15 times slower, so their test presets raise it through
/// `BULKSCORE_CHILD_LIMIT_S`.
inline std::chrono::seconds child_limit() {
    const char* configured = std::getenv("BULKSCORE_CHILD_LIMIT_S");
    const long seconds = configured != nullptr ? std::strtol(configured, nullptr, 10) : 0;
    return std::chrono::seconds(seconds > 0 ? seconds : 60);
}

// ---------------------------------------------------------------------------------------------
// Child processes.

/// How a child ended.
struct ChildEnd {
    bool signalled = false;  ///< Ended by a signal.
    int code = 0;            ///< The exit status, or the signal when `signalled`.
};

inline ChildEnd decode(int status) {
    if (WIFSIGNALED(status)) {
        return {true, WTERMSIG(status)};
    }
    return {false, WEXITSTATUS(status)};
}

inline std::string describe(const ChildEnd& end) {
    return end.signalled ? fmt::format("signal {}", end.code) : fmt::format("exit {}", end.code);
}

/// The last `bytes` of a child's log, for failure messages.
inline std::string log_tail(const fs::path& log, std::size_t bytes = 2000) {
    std::error_code error;
    if (!fs::exists(log, error)) {
        return "(no log)";
    }
    const std::string text = testing::read_file(log);
    return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

/// Starts the CLI with `arguments`, stdin from /dev/null and stdout and stderr appended to `log`.
inline pid_t spawn_cli(const std::vector<std::string>& arguments, const fs::path& log) {
    std::vector<std::string> storage{BULKSCORE_CLI_PATH};
    storage.insert(storage.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& argument : storage) {
        argv.push_back(argument.data());
    }
    argv.push_back(nullptr);

    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    REQUIRE(log_fd >= 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        const int null_in = ::open("/dev/null", O_RDONLY);
        ::dup2(null_in, STDIN_FILENO);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log_fd);
    REQUIRE(pid > 0);
    return pid;
}

inline std::optional<ChildEnd> try_reap(pid_t pid) {
    int status = 0;
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    REQUIRE(got >= 0);
    if (got == 0) {
        return std::nullopt;
    }
    return decode(status);
}

/// Waits for `pid` to end; one that outlives `child_limit()` is killed and fails the test as a
/// hang.
inline ChildEnd wait_child(pid_t pid, const fs::path& log) {
    const auto deadline = Clock::now() + child_limit();
    for (;;) {
        if (const auto end = try_reap(pid)) {
            return *end;
        }
        if (Clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
            FAIL("bulkscore did not end within " << child_limit().count()
                                                 << " s (a hang); its log:\n"
                                                 << log_tail(log));
        }
        std::this_thread::sleep_for(1ms);
    }
}

/// How a run that was sent a signal went.
struct SignalledRun {
    ChildEnd end;
    bool signal_sent = false;  ///< False: the child had ended before the signal was due.
};

/// A file's size and modification time, which change when the child writes it.
inline std::pair<std::uintmax_t, std::int64_t> file_stamp(const fs::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return {0, 0};
    }
    return {static_cast<std::uintmax_t>(info.st_size),
            static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

/// Runs the CLI and sends it `signal` after `delay`, unless it ended before. With `watch`, the
/// signal waits further for the next write to that file (the store's output: the child is then
/// in the middle of a commit), for at most a few seconds.
inline SignalledRun run_and_signal(const std::vector<std::string>& arguments,
                                   const fs::path& log,
                                   std::chrono::microseconds delay,
                                   int signal,
                                   const std::optional<fs::path>& watch) {
    const pid_t pid = spawn_cli(arguments, log);
    std::this_thread::sleep_for(delay);
    if (watch) {
        const auto baseline = file_stamp(*watch);
        const auto give_up = Clock::now() + 3s;
        while (file_stamp(*watch) == baseline && Clock::now() < give_up) {
            if (const auto end = try_reap(pid)) {
                return {*end, false};
            }
            std::this_thread::sleep_for(50us);
        }
    }
    if (const auto end = try_reap(pid)) {
        return {*end, false};
    }
    // The child is alive or an unreaped zombie, so `pid` is still ours either way.
    REQUIRE(::kill(pid, signal) == 0);
    return {wait_child(pid, log), true};
}

/// Runs the CLI to its end, requiring exit status 0.
inline void run_to_end(const std::vector<std::string>& arguments, const fs::path& log) {
    const ChildEnd end = wait_child(spawn_cli(arguments, log), log);
    INFO("bulkscore " << fmt::format("{}", fmt::join(arguments, " ")) << " ended with "
                      << describe(end) << "; its log:\n"
                      << log_tail(log));
    REQUIRE(!end.signalled);
    REQUIRE(end.code == 0);
}

// ---------------------------------------------------------------------------------------------
// Comparing two outputs, row by row.

/// One row: its key (`id` for results, `ordinal` for rejections) and an encoding that differs
/// whenever any column's type or value does (a double by its bits).
struct Row {
    std::string key;
    std::string text;

    friend auto operator<=>(const Row&, const Row&) = default;
};
using Rows = std::vector<Row>;

inline Rows sort_rows(Rows rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
}

/// What differs between an expected and an actual set of rows.
struct RowDiff {
    std::uint64_t missing = 0;     ///< Expected rows absent from the actual ones.
    std::uint64_t duplicated = 0;  ///< Actual rows beyond the expected count of their key.
    std::uint64_t extra = 0;       ///< Actual rows of keys that are not expected at all.
    std::uint64_t changed = 0;     ///< Rows present under their key with other contents.
    std::vector<std::string> examples;

    bool empty() const { return missing + duplicated + extra + changed == 0; }
    std::string summary() const {
        return fmt::format("missing {}, duplicated {}, extra {}, changed {}; first: {}", missing,
                           duplicated, extra, changed, fmt::join(examples, " | "));
    }
};

/// Compares the rows key by key, walking both sides together one key at a time.
/// Requires: both sides sorted (`sort_rows`).
inline RowDiff diff_rows(const Rows& expected, const Rows& actual) {
    RowDiff diff;
    const auto note = [&](std::string text) {
        if (diff.examples.size() < 5) {
            diff.examples.push_back(std::move(text));
        }
    };
    const auto key_end = [](const Rows& rows, std::size_t from) {
        std::size_t end = from;
        while (end < rows.size() && rows[end].key == rows[from].key) {
            ++end;
        }
        return end;
    };
    std::size_t e = 0;
    std::size_t a = 0;
    while (e < expected.size() || a < actual.size()) {
        if (a == actual.size() || (e < expected.size() && expected[e].key < actual[a].key)) {
            const std::size_t end = key_end(expected, e);
            diff.missing += end - e;
            note(fmt::format("missing key {:.80}", expected[e].key));
            e = end;
            continue;
        }
        if (e == expected.size() || actual[a].key < expected[e].key) {
            const std::size_t end = key_end(actual, a);
            diff.extra += end - a;
            note(fmt::format("unexpected key {:.80}", actual[a].key));
            a = end;
            continue;
        }
        const std::size_t e_end = key_end(expected, e);
        const std::size_t a_end = key_end(actual, a);
        const std::size_t want = e_end - e;
        const std::size_t got = a_end - a;
        if (got > want) {
            diff.duplicated += got - want;
            note(fmt::format("key {:.80} appears {} times", actual[a].key, got));
        } else if (got < want) {
            diff.missing += want - got;
            note(fmt::format("key {:.80} appears {} times of {}", actual[a].key, got, want));
        }
        for (std::size_t i = 0; i < std::min(want, got); ++i) {
            if (expected[e + i].text != actual[a + i].text) {
                ++diff.changed;
                note(fmt::format("key {:.80}: want {:.200} got {:.200}", expected[e + i].key,
                                 expected[e + i].text, actual[a + i].text));
            }
        }
        e = e_end;
        a = a_end;
    }
    return diff;
}

// --- SQLite -----------------------------------------------------------------------------------

/// A connection (read-only unless `flags` say otherwise), closed on scope exit.
class Database {
public:
    explicit Database(const fs::path& path, int flags = SQLITE_OPEN_READONLY) {
        const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        ok_ = rc == SQLITE_OK;
        if (ok_) {
            sqlite3_busy_timeout(db_, 5000);
        }
    }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database() { sqlite3_close(db_); }

    bool ok() const { return ok_; }
    sqlite3* get() const { return db_; }

    // Runs `sql` and hands each row to `row`; false (with `error` set) when it fails.
    template <class Row>
    bool query(const std::string& sql, Row&& row, std::string* error = nullptr) const {
        sqlite3_stmt* statement = nullptr;
        int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr);
        if (rc == SQLITE_OK) {
            while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
                row(statement);
            }
        }
        sqlite3_finalize(statement);
        if (rc != SQLITE_DONE && error != nullptr) {
            *error = sqlite3_errmsg(db_);
        }
        return rc == SQLITE_DONE;
    }

    void exec(const std::string& sql) const {
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        INFO(sql << ": " << (message != nullptr ? message : ""));
        sqlite3_free(message);
        REQUIRE(rc == SQLITE_OK);
    }

private:
    sqlite3* db_ = nullptr;
    bool ok_ = false;
};

inline std::string encode_row(sqlite3_stmt* row) {
    std::string out;
    for (int i = 0; i < sqlite3_column_count(row); ++i) {
        switch (sqlite3_column_type(row, i)) {
            case SQLITE_NULL:
                out += "N|";
                break;
            case SQLITE_INTEGER:
                fmt::format_to(std::back_inserter(out), "I{}|", sqlite3_column_int64(row, i));
                break;
            case SQLITE_FLOAT:
                fmt::format_to(std::back_inserter(out), "F{:016x}|",
                               std::bit_cast<std::uint64_t>(sqlite3_column_double(row, i)));
                break;
            default: {
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(row, i));
                const auto size = static_cast<std::size_t>(sqlite3_column_bytes(row, i));
                fmt::format_to(std::back_inserter(out), "T{}:", size);
                out.append(text, size);
                out.push_back('|');
            }
        }
    }
    return out;
}

inline Rows read_table(const Database& db, const std::string& sql) {
    Rows rows;
    std::string error;
    const bool ok = db.query(
        sql,
        [&](sqlite3_stmt* row) {
            // A NULL key is kept apart from any text.
            const auto* key = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
            rows.push_back(
                {key != nullptr ? std::string(key) : std::string("<NULL>"), encode_row(row)});
        },
        &error);
    INFO(sql << ": " << error);
    REQUIRE(ok);
    return sort_rows(std::move(rows));
}

inline constexpr const char* kScoresQuery =
    "SELECT id, url, score, potential_clicks, action, upside, striking, ctr_gap, demand, decay, "
    "ease, staleness, thinness, link_need, scorer_version, job FROM scores";
inline constexpr const char* kRejectionsQuery =
    "SELECT ordinal, job, line, id, field, reason, message FROM rejections";

struct JobRow {
    std::string state;
    std::uint64_t ordinal = 0;
    std::uint64_t total = 0;
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
};

/// The `jobs` row of `name`, when there is one.
inline std::optional<JobRow> read_job_row(const Database& db, std::string_view name) {
    std::optional<JobRow> found;
    db.query(fmt::format("SELECT state, position_ordinal, total, scored, rejected FROM jobs "
                         "WHERE job = '{}'",
                         name),
             [&](sqlite3_stmt* row) {
                 found.emplace();
                 found->state = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
                 found->ordinal = static_cast<std::uint64_t>(sqlite3_column_int64(row, 1));
                 found->total = static_cast<std::uint64_t>(sqlite3_column_int64(row, 2));
                 found->scored = static_cast<std::uint64_t>(sqlite3_column_int64(row, 3));
                 found->rejected = static_cast<std::uint64_t>(sqlite3_column_int64(row, 4));
             });
    return found;
}

/// What a database holds of the job, as compared.
struct DatabaseRows {
    Rows scores;      ///< Sorted.
    Rows rejections;  ///< Sorted.
    std::optional<JobRow> job;
    std::uint64_t both = 0;  ///< Ids both scored and rejected.
};

inline DatabaseRows read_database(const fs::path& path, std::string_view job) {
    const Database db(path);
    REQUIRE(db.ok());
    DatabaseRows rows;
    rows.scores = read_table(db, kScoresQuery);
    rows.rejections = read_table(db, kRejectionsQuery);
    rows.job = read_job_row(db, job);
    db.query("SELECT count(*) FROM rejections r JOIN scores s ON s.id = r.id",
             [&](sqlite3_stmt* row) {
                 rows.both = static_cast<std::uint64_t>(sqlite3_column_int64(row, 0));
             });
    return rows;
}

/// What differs between two databases of the job.
struct DatabaseDiff {
    RowDiff scores;
    RowDiff rejections;
    std::vector<std::string> problems;  ///< Findings about the job as a whole.

    bool empty() const { return scores.empty() && rejections.empty() && problems.empty(); }
    std::string summary() const {
        return fmt::format("scores: {}\nrejections: {}\nother: {}", scores.summary(),
                           rejections.summary(), fmt::join(problems, "; "));
    }
};

inline DatabaseDiff diff_databases(const DatabaseRows& expected, const DatabaseRows& actual) {
    DatabaseDiff diff;
    diff.scores = diff_rows(expected.scores, actual.scores);
    diff.rejections = diff_rows(expected.rejections, actual.rejections);
    const auto& want = expected.job;
    const auto& got = actual.job;
    REQUIRE(want.has_value());
    if (!got) {
        diff.problems.push_back("the job has no row in `jobs`");
    } else if (got->state != "finished" || got->ordinal != want->ordinal ||
               got->total != want->total || got->scored != want->scored ||
               got->rejected != want->rejected) {
        diff.problems.push_back(fmt::format(
            "jobs row: state {} ordinal {} total {} scored {} rejected {}, want {} {} {} {} {}",
            got->state, got->ordinal, got->total, got->scored, got->rejected, want->state,
            want->ordinal, want->total, want->scored, want->rejected));
    }
    // A record is a score or a rejection, never both (every id of the input is unique).
    if (actual.both != 0) {
        diff.problems.push_back(
            fmt::format("{} records are both scored and rejected", actual.both));
    }
    return diff;
}

// --- CSV --------------------------------------------------------------------------------------

/// The records of an RFC 4180 text, each with its line end (a quoted field may hold commas,
/// quotes and newlines). A last record without its newline (a torn write) is kept as it is, so
/// that it differs from any whole record.
inline std::vector<std::string_view> split_records(std::string_view text) {
    std::vector<std::string_view> records;
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        // A doubled quote inside a quoted field toggles twice: no net change.
        if (text[i] == '"') {
            quoted = !quoted;
        } else if (text[i] == '\n' && !quoted) {
            records.push_back(text.substr(start, i + 1 - start));
            start = i + 1;
        }
    }
    if (start < text.size()) {
        records.push_back(text.substr(start));
    }
    return records;
}

/// Field number `index` of `record`, unquoted.
inline std::string field_of(std::string_view record, std::size_t index) {
    std::string field;
    std::size_t current = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < record.size() && current <= index; ++i) {
        const char c = record[i];
        if (c == '"') {
            if (quoted && i + 1 < record.size() && record[i + 1] == '"') {
                if (current == index) {
                    field.push_back('"');
                }
                ++i;
            } else {
                quoted = !quoted;
            }
        } else if (!quoted && (c == ',' || c == '\n')) {
            ++current;
        } else if (current == index) {
            field.push_back(c);
        }
    }
    return field;
}

/// The records of a CSV output file (the header is one too, keyed "<header>") by their field
/// number `key`; a record's encoding is its text, so any difference in any column shows.
inline Rows key_csv(std::string_view text, std::size_t key) {
    Rows rows;
    bool header = true;
    for (const std::string_view record : split_records(text)) {
        rows.push_back(
            {header ? std::string("<header>") : field_of(record, key), std::string(record)});
        header = false;
    }
    return sort_rows(std::move(rows));
}

/// What differs between two CSV outputs: row by row, and whether the bytes are identical (the
/// rows in the same order, each written the same way).
struct FileDiff {
    RowDiff results;
    RowDiff rejections;
    bool same_bytes = true;

    bool empty() const { return results.empty() && rejections.empty() && same_bytes; }
    std::string summary() const {
        return fmt::format("results: {}\nrejections: {}\nsame bytes: {}", results.summary(),
                           rejections.summary(), same_bytes);
    }
};

inline FileDiff diff_csv_texts(const std::string& expected_results,
                               const std::string& actual_results,
                               const std::string& expected_rejections,
                               const std::string& actual_rejections) {
    FileDiff diff;
    diff.results = diff_rows(key_csv(expected_results, 0), key_csv(actual_results, 0));
    diff.rejections = diff_rows(key_csv(expected_rejections, 1), key_csv(actual_rejections, 1));
    diff.same_bytes =
        expected_results == actual_results && expected_rejections == actual_rejections;
    return diff;
}

// ---------------------------------------------------------------------------------------------
// The SQLite write-ahead log.

inline std::uint32_t big_endian_32(const unsigned char* bytes) {
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
           (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

inline std::uint32_t little_endian_32(const unsigned char* bytes) {
    return (std::uint32_t{bytes[3]} << 24) | (std::uint32_t{bytes[2]} << 16) |
           (std::uint32_t{bytes[1]} << 8) | std::uint32_t{bytes[0]};
}

/// SQLite's running WAL checksum over `size` bytes (a multiple of 8), continuing from `sum`.
inline void wal_checksum(const unsigned char* bytes,
                         std::size_t size,
                         bool big_endian,
                         std::array<std::uint32_t, 2>& sum) {
    for (std::size_t i = 0; i < size; i += 8) {
        const std::uint32_t x0 =
            big_endian ? big_endian_32(bytes + i) : little_endian_32(bytes + i);
        const std::uint32_t x1 =
            big_endian ? big_endian_32(bytes + i + 4) : little_endian_32(bytes + i + 4);
        sum[0] += x0 + sum[1];
        sum[1] += x1 + sum[0];
    }
}

/// True when the write-ahead log's valid frames end in a transaction without its commit frame,
/// followed by a torn or missing frame: the kill landed while SQLite was writing a commit. A
/// frame is valid when it carries the header's salts and continues the checksum chain, which is
/// how SQLite itself tells a log's frames from leftovers of earlier commits.
inline bool wal_ends_mid_commit(const fs::path& db_path) {
    fs::path wal = db_path;
    wal += "-wal";
    std::ifstream in(wal, std::ios::binary);
    if (!in) {
        return false;
    }
    std::vector<unsigned char> bytes(static_cast<std::size_t>(fs::file_size(wal)));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    constexpr std::size_t kHeader = 32;
    constexpr std::size_t kFrameHeader = 24;
    if (!in || bytes.size() < kHeader) {
        return false;
    }
    const unsigned char* header = bytes.data();
    const bool big_endian = (big_endian_32(header) & 1) != 0;
    const std::size_t page_size = big_endian_32(header + 8);
    std::array<std::uint32_t, 2> sum{0, 0};
    wal_checksum(header, 24, big_endian, sum);
    if (sum[0] != big_endian_32(header + 24) || sum[1] != big_endian_32(header + 28)) {
        return false;  // Not a log SQLite would read.
    }
    bool open_transaction = false;
    for (std::size_t at = kHeader; at + kFrameHeader + page_size <= bytes.size();
         at += kFrameHeader + page_size) {
        const unsigned char* frame = bytes.data() + at;
        if (std::memcmp(frame + 8, header + 16, 8) != 0) {
            break;
        }
        std::array<std::uint32_t, 2> next = sum;
        wal_checksum(frame, 8, big_endian, next);
        wal_checksum(frame + kFrameHeader, page_size, big_endian, next);
        if (next[0] != big_endian_32(frame + 16) || next[1] != big_endian_32(frame + 20)) {
            break;
        }
        sum = next;
        open_transaction = big_endian_32(frame + 4) == 0;
    }
    return open_transaction;
}

}  // namespace bulkscore::testing::crash
