// SPDX-License-Identifier: MIT
//
// Tests of `FileSink`: CSV and JSON Lines layout, RFC 4180 quoting read back by an independent
// parser, numbers that read back bit for bit, durable lengths, restore and start over.

#include "bulkscore/file_sink.hpp"

#include <charconv>
#include <cstring>
#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using bulkscore::FileSink;
using bulkscore::Rejection;
using bulkscore::RejectReason;
using bulkscore::ScoredBatch;
using bulkscore::ScoreResult;
using bulkscore::testing::read_file;
using bulkscore::testing::TempDir;
using bulkscore::testing::write_file;

using bulkscore::testing::lines_of;
using bulkscore::testing::parse_csv;
using Row = bulkscore::testing::CsvRow;

double parse_double(const std::string& text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    REQUIRE(error == std::errc());
    REQUIRE(end == text.data() + text.size());
    return value;
}

bool same_bits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// Owns the text that a batch's views refer to.
struct BatchBuilder {
    std::deque<std::string> text;
    ScoredBatch batch;

    std::string_view keep(std::string value) { return text.emplace_back(std::move(value)); }

    void add_result(std::string id, double score, std::uint64_t ordinal) {
        ScoreResult r;
        r.id = keep(std::move(id));
        r.url = keep("https://example.com/" + std::to_string(ordinal));
        r.score = score;
        r.potential_clicks = score / 3.0;
        r.action = bulkscore::Action::kPushToTop;
        r.components = {0.1, 0.2, 1.0 / 3.0, 0.4, 0.0, 1.0, 1e-300, 0.125, 2.0 / 7.0};
        r.scorer_version = "opportunity-v1";
        r.ordinal = ordinal;
        batch.results.push_back(r);
        ++batch.record_count;
    }

    void add_rejection(std::string id, std::string field, std::uint64_t line, std::uint64_t ord) {
        Rejection r;
        r.ordinal = ord;
        r.line = line;
        r.id = keep(std::move(id));
        r.field = keep(std::move(field));
        r.reason = RejectReason::kBadNumber;
        r.value = "12x";
        batch.rejections.push_back(r);
        ++batch.record_count;
    }
};

std::unique_ptr<FileSink> open_sink(const std::filesystem::path& path) {
    auto sink = FileSink::open(path, "site, \"main\"");
    REQUIRE_OK(sink);
    return std::move(sink).value();
}

}  // namespace

TEST_CASE("FileSink: CSV quoting and numbers read back unchanged", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.csv";
    const std::vector<std::string> ids = {"plain",      "a,b",      "say \"hi\"",
                                          "two\nlines", "cr\rhere", ""};
    BatchBuilder b;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        b.add_result(ids[i], 100.0 / static_cast<double>(i + 3), i);
    }
    auto sink = open_sink(path);
    REQUIRE_OK(sink->write(b.batch));
    REQUIRE_OK(sink->flush());

    const auto rows = parse_csv(read_file(path));
    REQUIRE(rows.size() == ids.size() + 1);
    CHECK(rows[0] == Row{"id", "url", "score", "potential_clicks", "action", "upside", "striking",
                         "ctr_gap", "demand", "decay", "ease", "staleness", "thinness", "link_need",
                         "scorer_version", "job"});
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const Row& row = rows[i + 1];
        const ScoreResult& r = b.batch.results[i];
        REQUIRE(row.size() == 16);
        CHECK(row[0] == ids[i]);
        CHECK(row[1] == r.url);
        CHECK(same_bits(parse_double(row[2]), r.score));
        CHECK(same_bits(parse_double(row[3]), r.potential_clicks));
        CHECK(row[4] == "push_to_top");
        CHECK(same_bits(parse_double(row[7]), r.components.ctr_gap));
        CHECK(same_bits(parse_double(row[11]), r.components.staleness));
        CHECK(same_bits(parse_double(row[13]), r.components.link_need));
        CHECK(row[14] == "opportunity-v1");
        CHECK(row[15] == "site, \"main\"");
    }
}

TEST_CASE("FileSink: CSV rejections leave line and field empty when unknown", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.csv";
    BatchBuilder b;
    b.add_rejection("p,1", "clicks", 7, 5);
    b.add_rejection("", "", 0, 6);
    auto sink = open_sink(path);
    REQUIRE_OK(sink->write(b.batch));
    REQUIRE_OK(sink->flush());

    CHECK(sink->rejections_path() == dir / "out.csv.rejections.csv");
    const auto rows = parse_csv(read_file(dir / "out.csv.rejections.csv"));
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == Row{"job", "ordinal", "line", "id", "field", "reason", "message"});
    CHECK(rows[1][0] == "site, \"main\"");
    CHECK(rows[1][1] == "5");
    CHECK(rows[1][2] == "7");
    CHECK(rows[1][3] == "p,1");
    CHECK(rows[1][4] == "clicks");
    CHECK(rows[1][5] == "bad_number");
    CHECK(rows[1][6] == bulkscore::render_message(b.batch.rejections[0]));
    CHECK(rows[2][2].empty());
    CHECK(rows[2][4].empty());
    // Only the header and no row in the results file.
    CHECK(parse_csv(read_file(path)).size() == 1);
}

TEST_CASE("FileSink: JSON Lines rows are JSON objects with the table's columns", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.jsonl";
    BatchBuilder b;
    b.add_result("quote \" back\\slash \x01 tab\t", 42.5, 0);
    b.add_rejection("x", "", 0, 1);
    b.add_rejection("y", "position", 3, 2);
    auto sink = open_sink(path);
    REQUIRE_OK(sink->write(b.batch));
    REQUIRE_OK(sink->flush());

    const auto results = lines_of(read_file(path));
    REQUIRE(results.size() == 1);
    const auto row = boost::json::parse(results[0]).as_object();
    std::vector<std::string> keys;
    for (const auto& entry : row) {
        keys.emplace_back(entry.key());
    }
    CHECK(keys == std::vector<std::string>{"id", "url", "score", "potential_clicks", "action",
                                           "upside", "striking", "ctr_gap", "demand", "decay",
                                           "ease", "staleness", "thinness", "link_need",
                                           "scorer_version", "job"});
    CHECK(row.at("id").as_string() == "quote \" back\\slash \x01 tab\t");
    CHECK(same_bits(row.at("ctr_gap").as_double(), 1.0 / 3.0));
    CHECK(same_bits(row.at("staleness").as_double(), 1e-300));

    CHECK(sink->rejections_path() == dir / "out.jsonl.rejections.jsonl");
    const auto rejections = lines_of(read_file(sink->rejections_path()));
    REQUIRE(rejections.size() == 2);
    const auto first = boost::json::parse(rejections[0]).as_object();
    CHECK(first.at("line").is_null());
    CHECK(first.at("field").is_null());
    CHECK(first.at("ordinal").to_number<std::uint64_t>() == 1);
    const auto second = boost::json::parse(rejections[1]).as_object();
    CHECK(second.at("line").to_number<std::uint64_t>() == 3);
    CHECK(second.at("field").as_string() == "position");
    CHECK(second.at("reason").as_string() == "bad_number");
}

TEST_CASE("FileSink: restore truncates both files to the flushed lengths", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.csv";
    const auto rejections = dir / "out.csv.rejections.csv";
    BatchBuilder first;
    first.add_result("a", 1, 0);
    first.add_rejection("b", "clicks", 3, 1);
    BatchBuilder second;
    second.add_result("c", 2, 2);
    second.add_rejection("d", "clicks", 5, 3);

    std::string state;
    std::string results_then;
    std::string rejections_then;
    {
        auto sink = open_sink(path);
        REQUIRE_OK(sink->write(first.batch));
        auto flushed = sink->flush();
        REQUIRE_OK(flushed);
        state = *flushed;
        results_then = read_file(path);
        rejections_then = read_file(rejections);
        REQUIRE_OK(sink->write(second.batch));
        REQUIRE_OK(sink->flush());
        REQUIRE(read_file(path).size() > results_then.size());
    }
    // A new process resumes from the first checkpoint and writes the second batch again.
    auto sink = open_sink(path);
    REQUIRE_OK(sink->restore(state));
    CHECK(read_file(path) == results_then);
    CHECK(read_file(rejections) == rejections_then);
    REQUIRE_OK(sink->write(second.batch));
    REQUIRE_OK(sink->flush());
    const auto rows = parse_csv(read_file(path));
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][0] == "a");
    CHECK(rows[2][0] == "c");
    CHECK(parse_csv(read_file(rejections)).size() == 3);
}

TEST_CASE("FileSink: unflushed rows are dropped by restore", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.jsonl";
    BatchBuilder b;
    b.add_result("a", 1, 0);
    auto sink = open_sink(path);
    auto flushed = sink->flush();
    REQUIRE_OK(flushed);
    REQUIRE_OK(sink->write(b.batch));
    REQUIRE_OK(sink->restore(*flushed));
    REQUIRE_OK(sink->flush());
    CHECK(read_file(path).empty());
}

TEST_CASE("FileSink: a fresh job or restart replaces earlier content", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.csv";
    write_file(path, "old,content\n");
    write_file(dir / "out.csv.rejections.csv", "old rejections\n");
    BatchBuilder b;
    b.add_result("a", 1, 0);

    SECTION("first write without restore") {
        auto sink = open_sink(path);
        REQUIRE_OK(sink->write(b.batch));
        REQUIRE_OK(sink->flush());
        CHECK(parse_csv(read_file(path)).size() == 2);
    }
    SECTION("restore of an empty state") {
        auto sink = open_sink(path);
        REQUIRE_OK(sink->restore(""));
        CHECK(read_file(path) == std::string(bulkscore::kScoreColumns) + "\n");
    }
    CHECK(read_file(dir / "out.csv.rejections.csv") ==
          std::string(bulkscore::kRejectionColumns) + "\n");
}

TEST_CASE("FileSink: restore refuses a state it cannot honour", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "out.csv";
    auto sink = open_sink(path);
    auto flushed = sink->flush();
    REQUIRE_OK(flushed);

    SECTION("a file shorter than the state") {
        write_file(path, "id");
        const auto status = sink->restore(*flushed);
        CHECK(status.code() == bulkscore::StatusCode::kDataLoss);
        CHECK_THAT(std::string(status.message()), Catch::Contains(path.string()));
    }
    SECTION("a state from another sink") {
        const auto status = sink->restore("sqlite 12");
        CHECK(status.code() == bulkscore::StatusCode::kInvalidArgument);
        CHECK_THAT(std::string(status.message()), Catch::Contains("--restart"));
    }
}

TEST_CASE("FileSink: a missing directory is reported by name", "[file-sink]") {
    TempDir dir;
    const auto path = dir / "no" / "such" / "out.csv";
    auto sink = FileSink::open(path, "job");
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.status().code() == bulkscore::StatusCode::kNotFound);
    CHECK_THAT(std::string(sink.status().message()), Catch::Contains(path.string()));
}
