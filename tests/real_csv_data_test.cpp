// SPDX-License-Identifier: MIT
//
// The real CSV exports of ../shared/data/real, read through `open_source` with the format
// detected. The expected counts were derived independently of this code: with Python's `csv`
// module (`csv.reader` over the file opened with `encoding="utf-8-sig", newline=""`, empty rows
// dropped) and SCORING.md's input rules written out again in Python; starting lines from
// `csv.reader.line_num` after the previous record, cross-checked with `grep -n`.

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "bulkscore/node_source.hpp"

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

struct Tally {
    std::uint64_t records = 0;
    std::uint64_t scored = 0;
    std::map<std::pair<std::string, std::string>, std::uint64_t> rejected;  // (reason, field)
    std::map<std::uint64_t, std::uint64_t> line_of;                         // ordinal -> line
    std::map<std::uint64_t, std::string> id_of;                             // ordinal -> id
    std::uint64_t counted = 0;
    InputFormat format = InputFormat::kAuto;
};

// Reads `name` in batches of 97 records, with the format detected.
Tally read_real(const std::string& name, InputFormat expected_format) {
    const auto dir = testing::real_data_dir();
    Tally tally;
    if (!dir) {
        return tally;
    }
    SourceOptions options;
    options.path = *dir / name;
    options.read_buffer_bytes = 4096;  // Small enough for records to straddle refills.
    Result<std::unique_ptr<NodeSource>> source = open_source(options);
    REQUIRE_OK(source);
    options.format = expected_format;
    REQUIRE_OK(open_source(options));

    const Result<std::uint64_t> counted = (*source)->count_records();
    REQUIRE_OK(counted);
    tally.counted = *counted;
    NodeBatch batch;
    for (;;) {
        REQUIRE_OK((*source)->read(batch, 97));
        if (batch.record_count == 0) {
            break;
        }
        tally.records += batch.record_count;
        tally.scored += batch.nodes.size();
        for (const Node& node : batch.nodes) {
            tally.line_of[node.ordinal] = node.line;
            tally.id_of[node.ordinal] = std::string(node.id);
        }
        for (const Rejection& rejection : batch.rejections) {
            ++tally.rejected[{std::string(to_string(rejection.reason)),
                              std::string(rejection.field)}];
            tally.line_of[rejection.ordinal] = rejection.line;
        }
    }
    return tally;
}

#define SKIP_WITHOUT_REAL_DATA()                                                      \
    do {                                                                              \
        if (!testing::real_data_dir()) {                                              \
            WARN("skipped: the real exports folder (../shared/data/real) is absent"); \
            return;                                                                   \
        }                                                                             \
    } while (false)

TEST_CASE("RealCsvData: the English Search Console pages export scores every row", "[real]") {
    SKIP_WITHOUT_REAL_DATA();
    const Tally tally = read_real("gsc_pages_duo.csv", InputFormat::kGsc);
    CHECK(tally.records == 1000);
    CHECK(tally.counted == 1000);
    CHECK(tally.scored == 1000);
    CHECK(tally.rejected.empty());
    CHECK(tally.id_of.at(0) == "https://duo.com/");
    CHECK(tally.line_of.at(999) == 1001);
}

TEST_CASE("RealCsvData: the French pages export keeps URLs with embedded newlines", "[real]") {
    SKIP_WITHOUT_REAL_DATA();
    const Tally tally = read_real("gsc_pages_michelinman_fr.csv", InputFormat::kGsc);
    CHECK(tally.records == 1000);
    CHECK(tally.counted == 1000);
    CHECK(tally.scored == 1000);
    CHECK(tally.rejected.empty());
    // Records 180 and 831 span two lines each (182-183, 834-835).
    CHECK(tally.line_of.at(180) == 182);
    CHECK(tally.line_of.at(181) == 184);
    CHECK(tally.line_of.at(831) == 834);
    CHECK(tally.line_of.at(832) == 836);
    CHECK(tally.id_of.at(180).find(" \n") != std::string::npos);
}

TEST_CASE("RealCsvData: the queries export has 1000 records over 3843 line ends", "[real]") {
    SKIP_WITHOUT_REAL_DATA();
    const Tally tally = read_real("gsc_queries_stupski.csv", InputFormat::kGsc);
    CHECK(tally.records == 1000);
    CHECK(tally.counted == 1000);
    CHECK(tally.scored == 1000);
    CHECK(tally.rejected.empty());
    const std::pair<std::uint64_t, std::uint64_t> starts[] = {
        {0, 2},     {3, 5},      {10, 12},    {37, 39},   {38, 43},
        {100, 211}, {500, 1890}, {998, 3836}, {999, 3840}};
    for (const auto& [ordinal, line] : starts) {
        CAPTURE(ordinal);
        CHECK(tally.line_of.at(ordinal) == line);
    }
    CHECK(tally.id_of.at(0) == "stupski foundation");
}

TEST_CASE("RealCsvData: the quoted crawl with a BOM keeps its 105 HTML pages", "[real]") {
    SKIP_WITHOUT_REAL_DATA();
    const Tally tally =
        read_real("sf_internal_all_lightchiropractic.csv", InputFormat::kScreamingFrog);
    CHECK(tally.records == 344);
    CHECK(tally.counted == 344);
    CHECK(tally.scored == 105);
    using Key = std::pair<std::string, std::string>;
    CHECK(tally.rejected == std::map<Key, std::uint64_t>{{{"not_a_page", "Content Type"}, 233},
                                                         {{"not_a_page", "Status Code"}, 6}});
    CHECK(tally.line_of.at(343) == 345);
}

TEST_CASE("RealCsvData: the unquoted crawl rejects only its unanswered row", "[real]") {
    SKIP_WITHOUT_REAL_DATA();
    const Tally tally = read_real("sf_internal_all_anon_gsc_ga.csv", InputFormat::kScreamingFrog);
    CHECK(tally.records == 137);
    CHECK(tally.counted == 137);
    CHECK(tally.scored == 136);
    using Key = std::pair<std::string, std::string>;
    CHECK(tally.rejected == std::map<Key, std::uint64_t>{{{"not_a_page", "Status Code"}, 1}});
}

}  // namespace
}  // namespace bulkscore
