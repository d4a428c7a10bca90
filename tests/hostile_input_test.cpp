// SPDX-License-Identifier: MIT
//
// Hostile and damaged inputs through the real `bulkscore score` command: a 100 MB field, a line
// of 100 MB without a line end, a header and a record of a million columns, invalid UTF-8 and
// NUL bytes, numbers out of range or not numbers at all (`1e400`, `NaN`, `inf`), a quote that
// never closes, 50 million empty lines, and CRLF mixed with LF. Each must end in a rejection
// or an error that names the line, and the child's peak memory (wait4's rusage) must stay far
// below what the input's size would need if it were held: 256 MiB, a bound generous enough not
// to depend on the machine.
//
// The issue asks for a billion empty lines; the test streams 50 million (a 50 MB file, since
// the reader refuses FIFOs: counting and resuming need to read the input twice) and shows that
// memory does not grow from 1 million to 50 million.
//
// Thread safety: test code; one thread.

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/test_support.hpp"

namespace bulkscore::testing {
namespace {

namespace fs = std::filesystem;

constexpr long kMemoryLimitKib = 256 * 1024;
constexpr std::string_view kHeader = "id,url,impressions,clicks,position,difficulty,word_count\n";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// Writes `parts` one after another, `repeat` times each, without building the file in memory.
class FileWriter {
public:
    explicit FileWriter(const fs::path& path) : out_(path, std::ios::binary | std::ios::trunc) {}
    FileWriter& add(std::string_view text, std::uint64_t repeat = 1) {
        for (std::uint64_t i = 0; i < repeat; ++i) {
            out_.write(text.data(), static_cast<std::streamsize>(text.size()));
        }
        return *this;
    }
    void close() {
        out_.close();
        REQUIRE(out_.good());
    }

private:
    std::ofstream out_;
};

/// `megabytes` MiB of `c`, written in 1 MiB pieces.
void add_run(FileWriter& file, char c, std::uint64_t megabytes) {
    file.add(std::string(std::size_t{1} << 20, c), megabytes);
}

ProcessResult score(const fs::path& input,
                    const fs::path& out,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments{"score",      input.string(), "--out",
                                       out.string(), "--progress",   "none"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    ProcessResult result = run_cli(arguments);
    UNSCOPED_INFO("bulkscore exit " << result.exit_code << ", peak RSS " << result.max_rss_kib
                                    << " KiB; stderr:\n"
                                    << result.err.substr(0, 2000));
    return result;
}

/// The rejections file of `out` as rows, header dropped: job, ordinal, line, id, field,
/// reason, message.
std::vector<CsvRow> rejections_of(const fs::path& out) {
    std::vector<CsvRow> rows = parse_csv(read_file(out.string() + ".rejections.csv"));
    REQUIRE_FALSE(rows.empty());
    rows.erase(rows.begin());
    return rows;
}

/// True when `text` is printable ASCII apart from U+FFFD: what a message may show of bad bytes.
bool shows_only_safe_text(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i).starts_with(kReplacement)) {
            i += kReplacement.size() - 1;
            continue;
        }
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte >= 0x7F) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("Hostile input: a 100 MB field stops the run at its line, in bounded memory",
          "[hostile][slow]") {
    const bool quoted = GENERATE(true, false);
    INFO((quoted ? "quoted" : "unquoted") << " field");
    TempDir dir;
    FileWriter file(dir / "site.csv");
    file.add(kHeader).add("a,,10,1,3,,\nb,");
    file.add(quoted ? "\"" : "");
    add_run(file, 'x', 100);
    file.add(quoted ? "\"" : "").add(",10,1,3,,\nc,,10,1,3,,\n");
    file.close();

    const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");

    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains((dir / "site.csv").string() + ": line 3: a record "
                                                                         "longer than 16 MiB"));
    CHECK(result.max_rss_kib < kMemoryLimitKib);
    CHECK(parse_csv(read_file(dir / "scores.csv")).size() == 2);  // The header and record a.
}

TEST_CASE("Hostile input: a 100 MB line without a line end stops at its line, in bounded memory",
          "[hostile][slow]") {
    TempDir dir;
    FileWriter file(dir / "site.csv");
    file.add(kHeader).add("a,,10,1,3,,\n");
    add_run(file, 'y', 100);
    file.close();

    const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");

    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("line 3: a record longer than 16 MiB") &&
                               Catch::Contains("missing line end"));
    CHECK(result.max_rss_kib < kMemoryLimitKib);
}

TEST_CASE("Hostile input: a million columns are refused at their line, in bounded memory",
          "[hostile]") {
    TempDir dir;
    std::string many;
    for (int i = 0; i < 1'000'000; ++i) {
        many += fmt::format(",c{}", i);
    }
    SECTION("in the header") {
        write_file(dir / "site.csv", "id,impressions,clicks,position" + many + "\na,10,1,3\n");
        const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("site.csv: line 1: a record with more than 100000 "
                                               "fields"));
        CHECK(result.max_rss_kib < kMemoryLimitKib);
    }
    SECTION("in a record, unquoted and quoted") {
        const std::string quoted_tail = "\"q\"" + many;
        write_file(dir / "site.csv",
                   "id,impressions,clicks,position\na,10,1,3\nb,10,1,3" + many + "\nc,10,1,3\n");
        write_file(dir / "quoted.csv",
                   "id,impressions,clicks,position\na,10,1,3\n" + quoted_tail + "\nc,10,1,3\n");
        for (const char* name : {"site.csv", "quoted.csv"}) {
            INFO(name);
            const ProcessResult result = score(dir / name, dir / "scores.csv", {"--restart"});
            CHECK(result.exit_code == 1);
            CHECK_THAT(result.err, Catch::Contains(std::string(name) + ": line 3: a record with "
                                                                       "more than 100000 fields"));
            CHECK(result.max_rss_kib < kMemoryLimitKib);
        }
    }
}

TEST_CASE("Hostile input: invalid UTF-8 and NUL bytes in numbers are rejected by line",
          "[hostile]") {
    TempDir dir;
    write_file(dir / "site.csv", std::string(kHeader) +
                                     "a,,1\xff"
                                     "0,1,3,,\n"
                                     "b,,10,1,3\xc3,,\n" +
                                     std::string("c,,10,1\0,3,,\n", 14) +
                                     std::string("d,,10,1,3,,5\0\0\n", 15) +
                                     // A value past the shown length, cut inside a character.
                                     "e,,10,1,3,," + std::string(119, '9') + "\xc3\xa9\n");

    const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");

    REQUIRE(result.exit_code == 0);
    const std::vector<CsvRow> rows = rejections_of(dir / "scores.csv");
    REQUIRE(rows.size() == 5);
    const std::vector<std::pair<std::string, std::string>> where{{"2", "impressions"},
                                                                 {"3", "position"},
                                                                 {"4", "clicks"},
                                                                 {"5", "word_count"},
                                                                 {"6", "word_count"}};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO("rejection " << i << ": " << rows[i][6]);
        CHECK(rows[i][2] == where[i].first);
        CHECK(rows[i][4] == where[i].second);
        CHECK(rows[i][5] == "bad_number");
        CHECK(shows_only_safe_text(rows[i][6]));
    }
    CHECK_THAT(rows[0][6], Catch::Contains("\"1\xEF\xBF\xBD"
                                           "0\" is not a number"));
    CHECK_THAT(rows[2][6], Catch::Contains("\"1\xEF\xBF\xBD\""));
    CHECK(result.max_rss_kib < kMemoryLimitKib);
}

TEST_CASE("Hostile input: invalid UTF-8 and NUL bytes in an id are kept byte for byte",
          "[hostile]") {
    // An id is a key: bytes are neither changed nor judged (SCORING.md has no reason for them).
    TempDir dir;
    const std::string bad_utf8 = "page-\xff\xfe";
    const std::string with_nul("page-\0-x", 8);
    write_file(dir / "site.csv",
               std::string(kHeader) + bad_utf8 + ",,10,1,3,,\n" + with_nul + ",,10,1,3,,\n");

    const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");

    REQUIRE(result.exit_code == 0);
    const std::vector<CsvRow> rows = parse_csv(read_file(dir / "scores.csv"));
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][0] == bad_utf8);
    CHECK(rows[2][0] == with_nul);
}

TEST_CASE("Hostile input: an id that is not UTF-8 is written to JSON Lines as valid UTF-8",
          "[hostile]") {
    // JSON cannot carry the raw bytes: each byte that is not UTF-8 becomes U+FFFD, the valid
    // multi-byte characters around it stay as they are.
    TempDir dir;
    write_file(dir / "site.csv", std::string(kHeader) + "caf\xc3\xa9-\xff-\xe2\x82,,10,1,3,,\n");

    const ProcessResult result = score(dir / "site.csv", dir / "scores.jsonl");

    REQUIRE(result.exit_code == 0);
    const std::string text = read_file(dir / "scores.jsonl");
    CHECK_THAT(text,
               Catch::Contains("\"id\":\"caf\xc3\xa9-\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd\""));
}

TEST_CASE("Hostile input: 1e400, NaN and infinities are not numbers; -0 is zero", "[hostile]") {
    TempDir dir;
    std::string text(kHeader);
    const std::vector<std::string> bad{"1e400", "NaN", "nan", "inf", "-inf", "Infinity"};
    // Line 2 on: each bad value in an integer field, then in a real field.
    for (const std::string& value : bad) {
        text += fmt::format("i-{},,{},1,3,,\n", value, value);
        text += fmt::format("r-{},,10,1,3,{},\n", value, value);
    }
    text += "zero,,-0,-0,,-0,-0\n";
    write_file(dir / "site.csv", text);

    const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");

    REQUIRE(result.exit_code == 0);
    const std::vector<CsvRow> rows = rejections_of(dir / "scores.csv");
    REQUIRE(rows.size() == 2 * bad.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO(rows[i][6]);
        CHECK(rows[i][2] == std::to_string(i + 2));
        CHECK(rows[i][4] == (i % 2 == 0 ? "impressions" : "difficulty"));
        CHECK(rows[i][5] == "bad_number");
        CHECK_THAT(rows[i][6], Catch::Contains('"' + bad[i / 2] + "\" is not a number"));
    }
    const std::vector<CsvRow> results = parse_csv(read_file(dir / "scores.csv"));
    REQUIRE(results.size() == 2);
    CHECK(results[1][0] == "zero");
}

TEST_CASE("Hostile input: a quote left open at the end of the file is an error naming its line",
          "[hostile]") {
    TempDir dir;
    write_file(dir / "site.csv",
               std::string(kHeader) + "a,,10,1,3,,\nb,,10,1,3,,\n\"c,,10,1,3,,\nd,,10,1,3,,\n");

    SECTION("found while counting: nothing is scored") {
        const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("site.csv: line 4: a quoted field opened here "
                                               "never closes"));
    }
    SECTION("found while reading, without a count: the records before it are saved") {
        const ProcessResult result = score(dir / "site.csv", dir / "scores.csv", {"--no-count"});
        CHECK(result.exit_code == 1);
        CHECK_THAT(result.err, Catch::Contains("site.csv: line 4: a quoted field opened here "
                                               "never closes"));
        CHECK(parse_csv(read_file(dir / "scores.csv")).size() == 3);
    }
}

TEST_CASE("Hostile input: 50 million empty lines stream through in flat memory",
          "[hostile][slow]") {
    TempDir dir;
    const auto write_empty_lines = [&](const fs::path& path, std::uint64_t millions) {
        FileWriter file(path);
        file.add(kHeader);
        add_run(file, '\n', millions);  // Whole MiB: 1,048,576 lines each.
        file.add("z,,10,1,0,,\n");      // Position 0 with impressions: rejected, by its line.
        file.close();
    };
    write_empty_lines(dir / "small.csv", 1);
    write_empty_lines(dir / "large.csv", 50);

    const ProcessResult small = score(dir / "small.csv", dir / "small-scores.csv");
    const ProcessResult large = score(dir / "large.csv", dir / "large-scores.csv");

    REQUIRE(small.exit_code == 0);
    REQUIRE(large.exit_code == 0);
    const std::vector<CsvRow> rows = rejections_of(dir / "large-scores.csv");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0][1] == "0");
    CHECK(rows[0][2] == std::to_string(50 * (std::uint64_t{1} << 20) + 2));
    CHECK(large.max_rss_kib < small.max_rss_kib + 16 * 1024);
    CHECK(large.max_rss_kib < kMemoryLimitKib);
}

TEST_CASE("Hostile input: CRLF mixed with LF keeps ids and line numbers right", "[hostile]") {
    TempDir dir;
    write_file(dir / "site.csv",
               "id,url,impressions,clicks,position,difficulty,word_count\r\n"
               "a,,10,1,3,,\r\n"
               "b,,10,1,3,,\n"
               "c,\"https://example.com/c\r\nsecond\",10,1,3,,\r\n"
               "\r\n"
               "d,,10,11,3,,\n"
               "e,,10,1,3,,\r\n"
               "f,,10,1,x,,");

    const ProcessResult result = score(dir / "site.csv", dir / "scores.csv");

    REQUIRE(result.exit_code == 0);
    const std::vector<CsvRow> results = parse_csv(read_file(dir / "scores.csv"));
    REQUIRE(results.size() == 5);
    CHECK(results[1][0] == "a");
    CHECK(results[2][0] == "b");
    CHECK(results[3][0] == "c");
    CHECK(results[3][1] == "https://example.com/c\r\nsecond");
    CHECK(results[4][0] == "e");
    const std::vector<CsvRow> rows = rejections_of(dir / "scores.csv");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0][3] == "d");
    CHECK(rows[0][2] == "7");
    CHECK(rows[1][3] == "f");
    CHECK(rows[1][2] == "9");
    CHECK(rows[1][4] == "position");
}

}  // namespace bulkscore::testing
