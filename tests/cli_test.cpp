// SPDX-License-Identifier: MIT
//
// End-to-end tests of the `bulkscore` executable: `generate`, `score` into
// files and into SQLite, every input format, exit codes and messages, resume,
// restart and SIGINT, and the JSON progress stream. Results read back from the
// files are checked against an independent implementation of SCORING.md
// (tests/support/reference_scorer.hpp) and, bit for bit, against
// `OpportunityScorer`.

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "bulkscore/file_checkpoint_store.hpp"
#include "bulkscore/node.hpp"
#include "bulkscore/opportunity_scorer.hpp"

#include "support/reference_scorer.hpp"
#include "support/test_support.hpp"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using bulkscore::testing::lines_of;
using bulkscore::testing::parse_csv;
using bulkscore::testing::run_cli;
using bulkscore::testing::TempDir;
using bulkscore::testing::write_file;
using Row = bulkscore::testing::CsvRow;

constexpr std::string_view kScoreColumns[] = {
    "id",       "url",       "score",          "potential_clicks",
    "action",   "upside",    "striking",       "ctr_gap",
    "demand",   "decay",     "ease",           "staleness",
    "thinness", "link_need", "scorer_version", "job"};

double parse_double(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    INFO(text);
    REQUIRE(error == std::errc());
    return value;
}

// The text of a JSON number field, straight from the line, so that the test
// parses it with `from_chars` (correctly rounded) rather than trusting any JSON
// library's number parsing.
std::string_view json_number_text(std::string_view line, std::string_view key) {
    const std::string needle = "\"" + std::string(key) + "\":";
    const std::size_t at = line.find(needle);
    REQUIRE(at != std::string_view::npos);
    std::string_view rest = line.substr(at + needle.size());
    return rest.substr(0, rest.find_first_of(",}"));
}

bool same_bits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

bool close_to(double actual, double expected) {
    return std::abs(actual - expected) <= 1e-9 * std::max(1.0, std::abs(expected));
}

// One input row of the native CSV, kept as text so the nodes' views stay valid.
struct InputRecord {
    std::map<std::string, std::string> cells;
};

std::vector<InputRecord> read_native_csv(const std::filesystem::path& path) {
    const auto rows = parse_csv(bulkscore::testing::read_file(path));
    REQUIRE(!rows.empty());
    std::vector<InputRecord> records;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        InputRecord record;
        for (std::size_t c = 0; c < rows[0].size() && c < rows[i].size(); ++c) {
            record.cells[rows[0][c]] = rows[i][c];
        }
        records.push_back(std::move(record));
    }
    return records;
}

std::optional<std::int64_t> optional_int(const InputRecord& record, const std::string& name) {
    const auto found = record.cells.find(name);
    if (found == record.cells.end() || found->second.empty()) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(parse_double(found->second));
}

bulkscore::Node to_node(const InputRecord& record) {
    bulkscore::Node node;
    node.id = record.cells.at("id");
    const auto url = record.cells.find("url");
    node.url = url != record.cells.end() && !url->second.empty() ? url->second : node.id;
    node.impressions = optional_int(record, "impressions").value_or(0);
    node.clicks = optional_int(record, "clicks").value_or(0);
    const auto position = record.cells.find("position");
    if (position != record.cells.end() && !position->second.empty() &&
        parse_double(position->second) != 0) {
        node.position = parse_double(position->second);
    }
    if (const auto found = record.cells.find("difficulty");
        found != record.cells.end() && !found->second.empty()) {
        node.difficulty = parse_double(found->second);
    }
    node.search_volume = optional_int(record, "search_volume");
    node.prev_clicks = optional_int(record, "prev_clicks");
    node.word_count = optional_int(record, "word_count");
    node.inlinks = optional_int(record, "inlinks");
    node.days_since_update = optional_int(record, "days_since_update");
    return node;
}

// The values of one output row in the `scores` column order, from CSV or JSON
// Lines.
struct OutputRow {
    std::string id;
    std::string url;
    std::string action;
    std::string scorer_version;
    std::string job;
    double numbers[11] = {};  // score, potential_clicks, then the nine components.
};

std::vector<OutputRow> read_csv_results(const std::filesystem::path& path) {
    const auto rows = parse_csv(bulkscore::testing::read_file(path));
    REQUIRE(!rows.empty());
    REQUIRE(rows[0] == Row(std::begin(kScoreColumns), std::end(kScoreColumns)));
    std::vector<OutputRow> out;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const Row& row = rows[i];
        REQUIRE(row.size() == 16);
        OutputRow r{row[0], row[1], row[4], row[14], row[15]};
        r.numbers[0] = parse_double(row[2]);
        r.numbers[1] = parse_double(row[3]);
        for (std::size_t k = 0; k < 9; ++k) {
            r.numbers[2 + k] = parse_double(row[5 + k]);
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<OutputRow> read_jsonl_results(const std::filesystem::path& path) {
    std::vector<OutputRow> out;
    for (const std::string& line : lines_of(bulkscore::testing::read_file(path))) {
        const auto object = boost::json::parse(line).as_object();
        REQUIRE(object.size() == 16);
        std::size_t k = 0;
        for (const auto& entry : object) {
            REQUIRE(entry.key() == kScoreColumns[k++]);
        }
        OutputRow r;
        r.id = object.at("id").as_string().c_str();
        r.url = object.at("url").as_string().c_str();
        r.action = object.at("action").as_string().c_str();
        r.scorer_version = object.at("scorer_version").as_string().c_str();
        r.job = object.at("job").as_string().c_str();
        r.numbers[0] = parse_double(json_number_text(line, "score"));
        r.numbers[1] = parse_double(json_number_text(line, "potential_clicks"));
        for (std::size_t c = 0; c < 9; ++c) {
            r.numbers[2 + c] = parse_double(json_number_text(line, kScoreColumns[5 + c]));
        }
        out.push_back(std::move(r));
    }
    return out;
}

// Every row matches the reference within 1e-9 and the library's scorer bit for
// bit, and every input record is accounted for exactly once, in input order.
void check_against_scorers(const std::vector<InputRecord>& input,
                           const std::vector<OutputRow>& output,
                           const std::string& job) {
    const bulkscore::OpportunityScorer scorer;
    std::size_t next = 0;
    std::size_t rejected = 0;
    for (const InputRecord& record : input) {
        const bulkscore::Node node = to_node(record);
        if (bulkscore::check_node(node)) {
            ++rejected;
            continue;
        }
        REQUIRE(next < output.size());
        const OutputRow& row = output[next++];
        REQUIRE(row.id == node.id);
        CHECK(row.url == node.url);
        CHECK(row.scorer_version == "opportunity-v1");
        CHECK(row.job == job);
        const auto expected = bulkscore::testing::reference_score(node);
        const auto library = scorer.score(node);
        const double reference[11] = {
            expected.score,     expected.potential_clicks, expected.upside,   expected.striking,
            expected.ctr_gap,   expected.demand,           expected.decay,    expected.ease,
            expected.staleness, expected.thinness,         expected.link_need};
        const auto& c = library.components;
        const double exact[11] = {library.score, library.potential_clicks,
                                  c.upside,      c.striking,
                                  c.ctr_gap,     c.demand,
                                  c.decay,       c.ease,
                                  c.staleness,   c.thinness,
                                  c.link_need};
        CHECK(row.action == expected.action);
        for (std::size_t k = 0; k < 11; ++k) {
            INFO("id " << row.id << " column " << kScoreColumns[k < 2 ? 2 + k : 3 + k]);
            CHECK(close_to(row.numbers[k], reference[k]));
            CHECK(same_bits(row.numbers[k], exact[k]));
        }
    }
    CHECK(next == output.size());
    CHECK(rejected + output.size() == input.size());
}

std::string score_args_summary(const bulkscore::testing::ProcessResult& result) {
    return "exit " + std::to_string(result.exit_code) + "\nstdout:\n" + result.out + "\nstderr:\n" +
           result.err;
}

}  // namespace

TEST_CASE("CLI: generate writes the same site for the same seed", "[cli]") {
    TempDir dir;
    const auto first = run_cli({"generate", "500", (dir / "a.csv").string(), "--seed", "3"});
    const auto second = run_cli({"generate", "500", (dir / "b.csv").string(), "--seed", "3"});
    const auto other = run_cli({"generate", "500", (dir / "c.csv").string(), "--seed", "4"});
    REQUIRE(first.exit_code == 0);
    REQUIRE(second.exit_code == 0);
    REQUIRE(other.exit_code == 0);
    CHECK_THAT(first.out, Catch::Contains("500 pages") && Catch::Contains("a.csv"));
    const std::string a = bulkscore::testing::read_file(dir / "a.csv");
    CHECK(a == bulkscore::testing::read_file(dir / "b.csv"));
    CHECK(a != bulkscore::testing::read_file(dir / "c.csv"));
    CHECK(read_native_csv(dir / "a.csv").size() == 500);
}

TEST_CASE("CLI: score --out CSV agrees with SCORING.md on a 10,000-page site", "[cli]") {
    TempDir dir;
    const auto input = dir / "pages.csv";
    REQUIRE(run_cli({"generate", "10000", input.string(), "--seed", "5"}).exit_code == 0);
    const auto out = dir / "scores.csv";
    const auto result = run_cli({"score", input.string(), "--out", out.string()});
    INFO(score_args_summary(result));
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.err,
               Catch::Contains("job 'pages' finished") && Catch::Contains(out.string()));
    check_against_scorers(read_native_csv(input), read_csv_results(out), "pages");
    CHECK(std::filesystem::exists(dir / "scores.csv.checkpoint"));
}

TEST_CASE("CLI: score --out JSON Lines agrees with SCORING.md", "[cli]") {
    TempDir dir;
    const auto input = dir / "site.csv";
    REQUIRE(run_cli({"generate", "3000", input.string(), "--seed", "8"}).exit_code == 0);
    const auto out = dir / "scores.jsonl";
    const auto result =
        run_cli({"score", input.string(), "--out", out.string(), "--job", "j1", "--workers", "3"});
    INFO(score_args_summary(result));
    REQUIRE(result.exit_code == 0);
    check_against_scorers(read_native_csv(input), read_jsonl_results(out), "j1");
    CHECK(std::filesystem::exists(dir / "scores.jsonl.rejections.jsonl"));
}

TEST_CASE("CLI: bad rows land in the rejections file with reason, line and field", "[cli]") {
    TempDir dir;
    const auto input = dir / "bad.csv";
    write_file(input,
               "id,impressions,clicks,position,difficulty\n"
               "/ok,100,5,3,10\n"
               "/bad-number,100,12x,3,10\n"
               "/too-many-clicks,10,20,3,10\n"
               ",10,1,3,10\n"
               "\"/multi\nline\",100,5,0.5,10\n"
               "/difficulty,100,5,3,101\n");
    const auto out = dir / "out.csv";
    const auto result = run_cli({"score", input.string(), "--out", out.string()});
    INFO(score_args_summary(result));
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.err, Catch::Contains("1 scored") && Catch::Contains("5 rejected"));
    const auto rows = parse_csv(bulkscore::testing::read_file(dir / "out.csv.rejections.csv"));
    REQUIRE(rows.size() == 6);
    CHECK(rows[0] == Row{"job", "ordinal", "line", "id", "field", "reason", "message"});
    const std::vector<Row> expected = {
        {"bad", "1", "3", "/bad-number", "clicks", "bad_number"},
        {"bad", "2", "4", "/too-many-clicks", "clicks", "clicks_exceed_impressions"},
        {"bad", "3", "5", "", "id", "missing_id"},
        {"bad", "4", "6", "/multi\nline", "position", "bad_position"},
        {"bad", "5", "8", "/difficulty", "difficulty", "bad_difficulty"},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("rejection " << i);
        REQUIRE(rows[i + 1].size() == 7);
        CHECK(Row(rows[i + 1].begin(), rows[i + 1].begin() + 6) == expected[i]);
        CHECK_FALSE(rows[i + 1][6].empty());
    }
    CHECK(read_csv_results(out).size() == 1);
}

TEST_CASE("CLI: every input format scores through the command line", "[cli]") {
    TempDir dir;
    struct Case {
        std::string file;
        std::string format;
        std::string text;
        std::size_t scored;
        std::size_t rejected;
    };
    const std::vector<Case> cases = {
        {"native.csv", "csv", "id,impressions,clicks,position\n/a,100,3,4.5\n/b,0,0,\n", 2, 0},
        {"console.csv", "gsc",
         "Top "
         "pages,Clicks,Impressions,CTR,Position\nhttps://x.org/a,3,100,3%,4.5\n"
         "https://x.org/b,1,50,2%,12\n",
         2, 0},
        {"api.json", "gsc-api",
         R"({"rows":[{"keys":["https://x.org/a"],"clicks":3,"impressions":100,"ctr":0.03,)"
         R"("position":4.5},{"keys":["https://x.org/b"],"clicks":1,"impressions":50,)"
         R"("ctr":0.02,"position":12}]})",
         2, 0},
        {"crawl.csv", "sf",
         "Address,Content Type,Status Code,Clicks,Impressions,CTR,Position,Word "
         "Count\n"
         "https://x.org/a,text/html; charset=utf-8,200,3,100,0.03,4.5,800\n"
         "https://x.org/logo.png,image/png,200,,,,,\n",
         1, 1},
        {"lines.jsonl", "jsonl",
         "{\"id\":\"/a\",\"impressions\":100,\"clicks\":3,\"position\":4.5}\n"
         "{\"id\":\"/b\",\"impressions\":10,\"clicks\":30,\"position\":2}\n",
         1, 1},
    };
    for (const Case& c : cases) {
        for (const std::string& format : {c.format, std::string("auto")}) {
            DYNAMIC_SECTION(c.format << " as --format " << format) {
                const auto input = dir / c.file;
                write_file(input, c.text);
                const auto out = dir / (c.file + "." + format + ".csv");
                const auto result = run_cli({"score", input.string(), "--out", out.string(),
                                             "--format", format, "--progress", "none"});
                INFO(score_args_summary(result));
                REQUIRE(result.exit_code == 0);
                CHECK(read_csv_results(out).size() == c.scored);
                const auto rejections =
                    parse_csv(bulkscore::testing::read_file(out.string() + ".rejections.csv"));
                CHECK(rejections.size() == c.rejected + 1);
            }
        }
    }
}

TEST_CASE("CLI: usage and configuration errors exit 2 with a message", "[cli]") {
    TempDir dir;
    const auto input = dir / "site.csv";
    REQUIRE(run_cli({"generate", "50", input.string()}).exit_code == 0);
    const auto out = (dir / "o.csv").string();

    SECTION("a missing input names the file") {
        const auto missing = (dir / "nope.csv").string();
        const auto result = run_cli({"score", missing, "--out", out});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("nope.csv"));
    }
    SECTION("an unknown flag") {
        const auto result = run_cli({"score", input.string(), "--out", out, "--frobnicate"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("frobnicate"));
    }
    SECTION("neither --db nor --out") {
        const auto result = run_cli({"score", input.string()});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("--db") && Catch::Contains("--out"));
    }
    SECTION("both --db and --out") {
        const auto result =
            run_cli({"score", input.string(), "--out", out, "--db", (dir / "x.db").string()});
        CHECK(result.exit_code == 2);
    }
    SECTION("a bad --progress value") {
        const auto result = run_cli({"score", input.string(), "--out", out, "--progress", "x"});
        CHECK(result.exit_code == 2);
    }
    SECTION("a config with an unknown key names the file and the key") {
        const auto config = dir / "scorer.json";
        write_file(config, R"({"target_positon": 3})");
        const auto result =
            run_cli({"score", input.string(), "--out", out, "--config", config.string()});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("scorer.json") && Catch::Contains("target_positon"));
    }
    SECTION("no subcommand") {
        CHECK(run_cli({}).exit_code == 2);
    }
    SECTION("--version") {
        const auto result = run_cli({"--version"});
        CHECK(result.exit_code == 0);
        CHECK_THAT(result.out, Catch::Contains("bulkscore"));
    }
}

TEST_CASE("CLI: a finished job is not run again, a changed input is not resumed", "[cli]") {
    TempDir dir;
    const auto input = dir / "pages.csv";
    REQUIRE(run_cli({"generate", "400", input.string(), "--seed", "2"}).exit_code == 0);
    const auto out = (dir / "out.csv").string();
    REQUIRE(run_cli({"score", input.string(), "--out", out}).exit_code == 0);
    const std::string first_output = bulkscore::testing::read_file(out);

    const auto again = run_cli({"score", input.string(), "--out", out});
    INFO(score_args_summary(again));
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.err, Catch::Contains("already finished") && Catch::Contains("--restart"));
    CHECK(bulkscore::testing::read_file(out) == first_output);

    // Make the job look interrupted at its end, as a cancelled run leaves it.
    bulkscore::FileCheckpointStore checkpoints(out + ".checkpoint");
    auto checkpoint = checkpoints.load("pages");
    REQUIRE_OK(checkpoint);
    REQUIRE(checkpoint->has_value());
    (*checkpoint)->state = bulkscore::JobState::kCancelled;
    REQUIRE_OK(checkpoints.save(**checkpoint));
    const auto resumed = run_cli({"score", input.string(), "--out", out});
    INFO(score_args_summary(resumed));
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.err, Catch::Contains("resuming job 'pages' at record 400 of 400"));
    CHECK(bulkscore::testing::read_file(out) == first_output);

    // Interrupted again, then the input changes: the resume is refused.
    REQUIRE_OK(checkpoints.save(**checkpoint));
    REQUIRE(run_cli({"generate", "300", input.string(), "--seed", "9"}).exit_code == 0);
    const auto refused = run_cli({"score", input.string(), "--out", out});
    INFO(score_args_summary(refused));
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("changed") && Catch::Contains("--restart"));
    CHECK(bulkscore::testing::read_file(out) == first_output);

    const auto restarted = run_cli({"score", input.string(), "--out", out, "--restart"});
    INFO(score_args_summary(restarted));
    CHECK(restarted.exit_code == 0);
    const auto rejected = parse_csv(bulkscore::testing::read_file(out + ".rejections.csv"));
    CHECK(read_csv_results(out).size() + rejected.size() - 1 == 300);
}

TEST_CASE("CLI: --progress json writes one parseable event per line up to 100%", "[cli]") {
    TempDir dir;
    const auto input = dir / "pages.csv";
    REQUIRE(run_cli({"generate", "5000", input.string()}).exit_code == 0);
    const auto result =
        run_cli({"score", input.string(), "--out", (dir / "o.csv").string(), "--progress", "json"});
    INFO(score_args_summary(result));
    REQUIRE(result.exit_code == 0);
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() >= 2);
    double previous = 0;
    for (const std::string& line : lines) {
        const auto event = boost::json::parse(line).as_object();
        const double percent = event.at("percent").to_number<double>();
        CHECK(percent >= previous);
        previous = percent;
    }
    const auto last = boost::json::parse(lines.back()).as_object();
    CHECK(last.at("phase").as_string() == "finished");
    CHECK(last.at("percent").to_number<double>() == 100.0);
    CHECK(last.at("done").to_number<std::uint64_t>() == 5000);
    CHECK(boost::json::parse(lines.front()).as_object().at("phase").as_string() == "started");
}

TEST_CASE("CLI: score --db, then top and status", "[cli][sqlite]") {
    TempDir dir;
    const auto input = dir / "shop.csv";
    REQUIRE(run_cli({"generate", "2000", input.string(), "--seed", "4"}).exit_code == 0);
    const auto db = (dir / "site.db").string();
    const auto scored = run_cli({"score", input.string(), "--db", db});
    INFO(score_args_summary(scored));
    REQUIRE(scored.exit_code == 0);
    CHECK_THAT(scored.err, Catch::Contains("job 'shop' finished") && Catch::Contains(db));

    const auto top = run_cli({"top", "--db", db, "-n", "5", "--format", "csv"});
    INFO(score_args_summary(top));
    REQUIRE(top.exit_code == 0);
    const auto rows = parse_csv(top.out);
    REQUIRE(rows.size() == 6);

    const auto status = run_cli({"status", "--db", db});
    INFO(score_args_summary(status));
    REQUIRE(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("shop") && Catch::Contains("finished"));

    const auto again = run_cli({"score", input.string(), "--db", db});
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.err, Catch::Contains("already finished"));
}

TEST_CASE("CLI: SIGINT stops with 130 and the printed command resumes exactly once",
          "[cli][slow]") {
    TempDir dir;
    const auto input = dir / "big.csv";
    REQUIRE(run_cli({"generate", "400000", input.string(), "--seed", "6"}).exit_code == 0);
    const auto out = (dir / "out.csv").string();

    // Start a run by hand so that the test can signal it after its first running
    // event.
    int out_pipe[2];
    int err_pipe[2];
    REQUIRE(::pipe(out_pipe) == 0);
    REQUIRE(::pipe(err_pipe) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        ::execl(BULKSCORE_CLI_PATH, BULKSCORE_CLI_PATH, "score", input.c_str(), "--out",
                out.c_str(), "--progress", "json", "--workers", "1", "--batch-size", "100",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    FILE* events = ::fdopen(out_pipe[0], "r");
    REQUIRE(events != nullptr);
    char line[4096];
    bool signalled = false;
    while (std::fgets(line, sizeof line, events) != nullptr) {
        if (!signalled && std::strstr(line, "\"running\"") != nullptr) {
            ::kill(child, SIGINT);
            signalled = true;
        }
    }
    std::fclose(events);
    std::string err;
    for (ssize_t got; (got = ::read(err_pipe[0], line, sizeof line)) > 0;) {
        err.append(line, static_cast<std::size_t>(got));
    }
    ::close(err_pipe[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    INFO(err);
    if (WEXITSTATUS(status) == 0) {
        WARN(
            "the run finished before SIGINT reached it; only exactly-once is "
            "checked");
    } else {
        REQUIRE(WEXITSTATUS(status) == 130);
        CHECK_THAT(err, Catch::Contains("resume with") &&
                            Catch::Contains("bulkscore score " + input.string()));
        const auto resumed = run_cli({"score", input.string(), "--out", out});
        INFO(score_args_summary(resumed));
        REQUIRE(resumed.exit_code == 0);
        CHECK_THAT(resumed.err, Catch::Contains("resuming job 'big' at record"));
    }
    const auto results = read_csv_results(out);
    const auto rejections = parse_csv(bulkscore::testing::read_file(out + ".rejections.csv"));
    CHECK(results.size() + rejections.size() - 1 == 400000);
    std::set<std::string> ids;
    for (const auto& row : results) {
        ids.insert(row.id);
    }
    CHECK(ids.size() == results.size());
}

TEST_CASE("CLI: the real exports score without errors", "[cli][real]") {
    const auto real = bulkscore::testing::real_data_dir();
    if (!real) {
        WARN(
            "skipped: no real exports (../shared/data/real or "
            "BULKSCORE_REAL_DATA)");
        return;
    }
    TempDir dir;
    for (const auto& entry : std::filesystem::directory_iterator(*real)) {
        const auto name = entry.path().filename().string();
        if (entry.path().extension() != ".csv" && entry.path().extension() != ".json") {
            continue;
        }
        DYNAMIC_SECTION(name) {
            std::vector<std::string> args = {"score", entry.path().string(), "--out",
                                             (dir / (name + ".out.csv")).string()};
            if (entry.path().extension() == ".json") {
                args.insert(args.end(), {"--rows-key", "pages"});
            }
            const auto result = run_cli(args);
            INFO(score_args_summary(result));
            REQUIRE(result.exit_code == 0);
            CHECK_FALSE(read_csv_results(dir / (name + ".out.csv")).empty());
        }
    }
}
