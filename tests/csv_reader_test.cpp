// SPDX-License-Identifier: MIT
//
// Tests of the streaming CSV tokenizer: RFC 4180 quoting, line ends, BOM, empty lines, records
// straddling buffer refills, oversized records, exact record lines, counting and seeking.

#include "sources/csv_reader.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace bulkscore::detail {
namespace {

using testing::TempDir;
using testing::write_file;
using Records = std::vector<std::vector<std::string>>;

struct ReadResult {
    Records records;
    std::vector<std::uint64_t> lines;
    std::vector<std::uint64_t> offsets;
};

std::unique_ptr<CsvReader> open_text(const TempDir& dir,
                                     const std::string& text,
                                     std::size_t buffer_bytes = 1 << 20,
                                     char separator = ',') {
    write_file(dir / "input.csv", text);
    Result<std::unique_ptr<CsvReader>> reader =
        CsvReader::open(dir / "input.csv", separator, buffer_bytes);
    REQUIRE_OK(reader);
    return std::move(*reader);
}

ReadResult read_rest(CsvReader& reader) {
    ReadResult result;
    for (;;) {
        Result<bool> got = reader.next();
        REQUIRE_OK(got);
        if (!*got) {
            return result;
        }
        result.records.emplace_back(reader.fields().begin(), reader.fields().end());
        result.lines.push_back(reader.record_line());
        result.offsets.push_back(reader.record_offset());
    }
}

ReadResult read_text(const std::string& text, std::size_t buffer_bytes = 1 << 20) {
    TempDir dir;
    auto reader = open_text(dir, text, buffer_bytes);
    return read_rest(*reader);
}

std::uint64_t count_text(const std::string& text, std::size_t buffer_bytes = 1 << 20) {
    TempDir dir;
    auto reader = open_text(dir, text, buffer_bytes);
    Result<std::uint64_t> count = reader->count_records_from(0, 1);
    REQUIRE_OK(count);
    return *count;
}

// Writes `records` as CSV, quoting a field when it needs it, with `line_end` after each record.
std::string to_csv(const Records& records, const std::string& line_end) {
    std::string text;
    for (const auto& record : records) {
        for (std::size_t i = 0; i < record.size(); ++i) {
            const std::string& field = record[i];
            const bool quote = field.find_first_of(",\"\r\n") != std::string::npos ||
                               (record.size() == 1 && field.empty());
            text += i > 0 ? "," : "";
            if (!quote) {
                text += field;
                continue;
            }
            text += '"';
            for (const char c : field) {
                text += c == '"' ? std::string("\"\"") : std::string(1, c);
            }
            text += '"';
        }
        text += line_end;
    }
    return text;
}

// Records with every awkward character, of varied lengths, from a fixed seed.
Records random_records(std::size_t count, std::uint32_t seed) {
    std::mt19937 random(seed);
    const std::string alphabet = "abcXYZ019 ,\"\n\r;.-%é";
    Records records;
    for (std::size_t r = 0; r < count; ++r) {
        std::vector<std::string> record(1 + random() % 6);
        for (std::string& field : record) {
            const std::size_t length = random() % 4 == 0 ? random() % 300 : random() % 12;
            for (std::size_t i = 0; i < length; ++i) {
                field += alphabet[random() % alphabet.size()];
            }
        }
        records.push_back(std::move(record));
    }
    return records;
}

TEST_CASE("CsvReader: quoted fields hold separators, escaped quotes and line ends", "[csv]") {
    const ReadResult result = read_text(
        "a,\"b,c\",\"say \"\"hi\"\"\"\n"
        "\"multi\nline\",\"crlf\r\ninside\",x\n"
        "last,\"\",end\n");
    const Records expected = {
        {"a", "b,c", "say \"hi\""}, {"multi\nline", "crlf\r\ninside", "x"}, {"last", "", "end"}};
    CHECK(result.records == expected);
    CHECK(result.lines == std::vector<std::uint64_t>{1, 2, 5});
}

TEST_CASE("CsvReader: reads CRLF line ends and skips a leading BOM", "[csv]") {
    const ReadResult result = read_text("\xEF\xBB\xBFid,n\r\none,1\r\ntwo,2");
    CHECK(result.records == Records{{"id", "n"}, {"one", "1"}, {"two", "2"}});
    CHECK(result.offsets == std::vector<std::uint64_t>{3, 9, 16});
    CHECK(result.lines == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("CsvReader: skips empty lines but keeps their line numbers", "[csv]") {
    const std::string text = "h\n\n\r\na\n\n\nb\r\n\r\n";
    const ReadResult result = read_text(text);
    CHECK(result.records == Records{{"h"}, {"a"}, {"b"}});
    CHECK(result.lines == std::vector<std::uint64_t>{1, 4, 7});
    CHECK(count_text(text) == 3);
}

TEST_CASE("CsvReader: a quote only opens a quoted field at the start of a field", "[csv]") {
    const std::string text = "ab\"cd,\"x\"y z,\"q\"\"\"\n\"e\"\r\n";
    const ReadResult result = read_text(text);
    CHECK(result.records == Records{{"ab\"cd", "xy z", "q\""}, {"e"}});
    CHECK(count_text(text) == 2);
}

TEST_CASE("CsvReader: a quoted empty field is a record, an empty line is not", "[csv]") {
    const std::string text = "\"\"\n\n\"\"\r\n \n\r";
    CHECK(read_text(text).records == Records{{""}, {""}, {" "}});
    CHECK(count_text(text) == 3);
}

TEST_CASE("CsvReader: reads ';' separated records", "[csv]") {
    TempDir dir;
    auto reader = open_text(dir, "a;\"b;c\";3,5\n", 1 << 20, ';');
    CHECK(read_rest(*reader).records == Records{{"a", "b;c", "3,5"}});
}

TEST_CASE("CsvReader: records straddling buffer refills read the same at every buffer size",
          "[csv]") {
    const Records records = random_records(400, 7);
    const std::string line_end = GENERATE(std::string("\n"), std::string("\r\n"));
    const std::string text = to_csv(records, line_end);
    const std::size_t buffer = GENERATE(std::size_t{64}, std::size_t{100}, std::size_t{257},
                                        std::size_t{4096}, std::size_t{1} << 20);
    CAPTURE(buffer, line_end.size());
    CHECK(read_text(text, buffer).records == records);
    CHECK(count_text(text, buffer) == records.size());
}

TEST_CASE("CsvReader: record lines count the line ends inside quoted fields", "[csv]") {
    const Records records = random_records(300, 11);
    const std::string text = to_csv(records, "\n");
    const ReadResult result = read_text(text, 64);
    std::uint64_t line = 1;
    for (std::size_t i = 0; i < records.size(); ++i) {
        CHECK(result.lines[i] == line);
        for (const std::string& field : records[i]) {
            line += static_cast<std::uint64_t>(std::count(field.begin(), field.end(), '\n'));
        }
        ++line;
    }
}

TEST_CASE("CsvReader: a field larger than the buffer parses and the buffer shrinks back", "[csv]") {
    const std::string huge(10000, 'x');
    TempDir dir;
    auto reader = open_text(dir, "a,b\n\"" + huge + "\",2\nc,3\n", 64);
    REQUIRE(*reader->next());
    REQUIRE(*reader->next());
    CHECK(reader->fields()[0] == huge);
    CHECK(reader->buffer_capacity() >= huge.size());
    reader->release_excess_memory();
    CHECK(reader->buffer_capacity() == 64);
    REQUIRE(*reader->next());
    CHECK(reader->fields()[0] == "c");
    CHECK(reader->record_line() == 3);
}

TEST_CASE("CsvReader: a quote open at the end of the file is an error naming its line", "[csv]") {
    TempDir dir;
    auto reader = open_text(dir, "a\nb\n\"c\nd,e\n", 64);
    CHECK(*reader->next());
    CHECK(*reader->next());
    const Result<bool> failed = reader->next();
    REQUIRE_FALSE(failed.ok());
    const std::string message(failed.status().message());
    CHECK_THAT(message, Catch::Contains("input.csv: line 3: a quoted field opened here never "
                                        "closes; the file may be truncated"));
    const Result<std::uint64_t> count = reader->count_records_from(0, 1);
    REQUIRE_FALSE(count.ok());
    CHECK_THAT(std::string(count.status().message()), Catch::Contains("line 3:"));
}

TEST_CASE("CsvReader: counting does not move the read position", "[csv]") {
    TempDir dir;
    auto reader = open_text(dir, "a\nb\nc\n", 64);
    REQUIRE(*reader->next());
    REQUIRE_OK(reader->count_records_from(reader->next_offset(), reader->next_line()));
    CHECK(*reader->count_records_from(reader->next_offset(), reader->next_line()) == 2);
    REQUIRE(*reader->next());
    CHECK(reader->fields()[0] == "b");
}

TEST_CASE("CsvReader: a second reader seeked to a reported position reads the same rest", "[csv]") {
    const Records records = random_records(200, 3);
    TempDir dir;
    auto first = open_text(dir, to_csv(records, "\r\n"), 128);
    for (int i = 0; i < 77; ++i) {
        REQUIRE(*first->next());
    }
    const std::uint64_t offset = first->next_offset();
    const std::uint64_t line = first->next_line();
    const ReadResult rest = read_rest(*first);

    Result<std::unique_ptr<CsvReader>> second = CsvReader::open(dir / "input.csv", ',', 100);
    REQUIRE_OK(second);
    (*second)->seek(offset, line);
    const ReadResult again = read_rest(**second);
    CHECK(again.records == rest.records);
    CHECK(again.lines == rest.lines);
    CHECK(rest.records == Records(records.begin() + 77, records.end()));
}

TEST_CASE("CsvReader: a missing file is not_found naming the path", "[csv]") {
    TempDir dir;
    const auto reader = CsvReader::open(dir / "absent.csv", ',', 1024);
    REQUIRE_FALSE(reader.ok());
    CHECK(reader.status().code() == StatusCode::kNotFound);
    CHECK_THAT(std::string(reader.status().message()), Catch::Contains("absent.csv"));
}

}  // namespace
}  // namespace bulkscore::detail
