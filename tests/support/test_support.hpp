// SPDX-License-Identifier: MIT
//
// Helpers shared by the tests: temporary directories, the real exports of ../shared/data/real,
// running the CLI, and a readable assertion for `Status`.

#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bulkscore/status.hpp"

namespace bulkscore::testing {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// Writes `contents` to `path` byte for byte.
void write_file(const std::filesystem::path& path, const std::string& contents);

/// The whole file as a string.
std::string read_file(const std::filesystem::path& path);

/// The folder of real exports (`../shared/data/real` beside the repository, or the folder named
/// by `BULKSCORE_REAL_DATA`), or `std::nullopt` when it is absent; tests then skip with a
/// printed reason.
std::optional<std::filesystem::path> real_data_dir();

/// One CSV record's fields.
using CsvRow = std::vector<std::string>;

/// RFC 4180 records parsed independently of the library (quoted fields may hold commas, doubled
/// quotes and line breaks; CR before LF is dropped). A last record without a line end counts.
std::vector<CsvRow> parse_csv(const std::string& text);

/// The lines of `text`, without their line ends.
std::vector<std::string> lines_of(const std::string& text);

/// What a child process did.
struct ProcessResult {
    int exit_code = -1;  ///< The exit status, or 128 + signal number when killed by a signal.
    std::string out;
    std::string err;
    long max_rss_kib = 0;  ///< The child's peak resident set size, in KiB (wait4's rusage).
};

/// Runs the built `bulkscore` executable with `arguments` (no shell involved), capturing its
/// standard output and error and measuring its peak memory.
ProcessResult run_cli(const std::vector<std::string>& arguments);

/// The status of a `Status` (itself) or of a `Result`, for `REQUIRE_OK`.
inline const Status& status_of(const Status& status) noexcept {
    return status;
}
template <class T>
Status status_of(const Result<T>& result) {
    return result.status();
}

}  // namespace bulkscore::testing

/// Requires an ok `Status` or `Result`, printing its message otherwise.
#define REQUIRE_OK(expr)                                                      \
    do {                                                                      \
        const auto& require_ok_value_ = (expr);                               \
        INFO(::bulkscore::testing::status_of(require_ok_value_).to_string()); \
        REQUIRE(require_ok_value_.ok());                                      \
    } while (false)
