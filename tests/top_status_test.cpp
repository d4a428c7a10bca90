// SPDX-License-Identifier: MIT
//
// Tests of `bulkscore top` and `bulkscore status` through the built executable: the aligned
// table and the components that drove each score (recomputed here from the stored components
// and the job's weights), the csv and json formats, the `--action` filter and its error, and
// `status`'s state, position and resume command, which is pasted into a real shell to check
// that it resumes the job. Shell quoting is also checked on its own against `/bin/sh`.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/site_generator.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "cli/shell_quote.hpp"
#include "support/test_support.hpp"
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using bulkscore::testing::lines_of;
using bulkscore::testing::parse_csv;
using bulkscore::testing::run_cli;
using bulkscore::testing::TempDir;

constexpr const char* kComponents[] = {"upside", "striking",  "ctr_gap",  "demand",   "decay",
                                       "ease",   "staleness", "thinness", "link_need"};

// What `sh -c COMMAND` wrote to stdout and stderr, and its exit status.
struct ShellResult {
    int exit_code = -1;
    std::string output;
};

ShellResult run_shell(const std::string& command) {
    const std::string full = "/bin/sh -c " + bulkscore::cli::shell_quote(command) + " 2>&1";
    FILE* pipe = ::popen(full.c_str(), "r");
    REQUIRE(pipe != nullptr);
    ShellResult result;
    char buffer[4096];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        result.output.append(buffer, got);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// A generated site scored into a database through the CLI.
struct ScoredSite {
    TempDir dir;
    std::string db = (dir / "site.db").string();

    explicit ScoredSite(std::uint64_t pages, const std::string& config_json = "") {
        const auto input = (dir / "shop.csv").string();
        REQUIRE(run_cli({"generate", std::to_string(pages), input, "--seed", "5"}).exit_code == 0);
        std::vector<std::string> args = {"score", input, "--db", db, "--progress", "none"};
        if (!config_json.empty()) {
            const auto config = (dir / "scorer.json").string();
            bulkscore::testing::write_file(config, config_json);
            args.insert(args.end(), {"--config", config});
        }
        const auto scored = run_cli(args);
        INFO(scored.err);
        REQUIRE(scored.exit_code == 0);
    }
};

// The points each component contributes, recomputed from a `top --format json` row.
double points_of(const json::object& row, std::string_view name, const json::object& weights) {
    double sum = 0;
    for (const char* component : kComponents) {
        sum += weights.at(component).to_number<double>();
    }
    return 100.0 * weights.at(name).to_number<double>() * row.at(name).to_number<double>() / sum;
}

json::object default_weights() {
    return json::object{{"upside", 0.30},    {"striking", 0.20}, {"ctr_gap", 0.10},
                        {"demand", 0.10},    {"decay", 0.10},    {"ease", 0.10},
                        {"staleness", 0.04}, {"thinness", 0.03}, {"link_need", 0.03}};
}

// Checks every row's drivers against the components: the largest contributions, in order.
void check_drivers(const json::array& rows, const json::object& weights) {
    for (const json::value& value : rows) {
        const json::object& row = value.as_object();
        std::vector<double> all;
        for (const char* component : kComponents) {
            all.push_back(points_of(row, component, weights));
        }
        std::sort(all.rbegin(), all.rend());
        const json::array& drivers = row.at("drivers").as_array();
        REQUIRE(drivers.size() <= 3);
        for (std::size_t i = 0; i < drivers.size(); ++i) {
            const json::object& driver = drivers[i].as_object();
            const std::string name(driver.at("component").as_string());
            const double points = driver.at("points").to_number<double>();
            INFO(row.at("id").as_string() << " " << name);
            CHECK(points == Approx(points_of(row, name, weights)).epsilon(1e-12));
            CHECK(points == Approx(all[i]).epsilon(1e-12));
        }
    }
}

}  // namespace

TEST_CASE("Top status: shell words read back exactly through /bin/sh", "[top-status]") {
    using bulkscore::cli::shell_quote;
    CHECK(shell_quote("site.db") == "site.db");
    CHECK(shell_quote("/data/pages-2024_07.csv") == "/data/pages-2024_07.csv");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(bulkscore::cli::shell_quote_path("-x.csv") == "./-x.csv");
    const std::string words[] = {"my pages.csv", "it's", "$HOME",      "a`b`",      "back\\slash",
                                 "*.csv",        "~",    "two\nlines", "tab\there", "Seiten-ü.csv",
                                 "semi;colon",   "",     "\"dq\""};
    for (const std::string& word : words) {
        INFO(word);
        const ShellResult echoed = run_shell("printf '%s|' " + shell_quote(word));
        CHECK(echoed.exit_code == 0);
        CHECK(echoed.output == word + "|");
    }
}

TEST_CASE("Top status: the table is aligned and names what drove each score", "[top-status]") {
    ScoredSite site(3000);
    const auto table = run_cli({"top", "--db", site.db, "-n", "12"});
    INFO(table.err);
    REQUIRE(table.exit_code == 0);
    const auto lines = lines_of(table.out);
    REQUIRE(lines.size() == 13);
    CHECK_THAT(lines[0], Catch::StartsWith("rank  score  action") &&
                             Catch::Contains("drivers (points)") && Catch::EndsWith("url"));
    const std::size_t url_column = lines[0].rfind("url");
    const std::size_t score_end = lines[0].find("score") + 5;
    double previous = 101;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        INFO(lines[i]);
        CHECK(lines[i].substr(url_column, 8) == "https://");
        CHECK(lines[i][url_column - 1] == ' ');
        const double score = std::stod(lines[i].substr(6, score_end - 6));
        CHECK(score <= previous);
        previous = score;
        CHECK_THAT(lines[i], Catch::Matches(".*(upside|striking|ctr_gap|demand|decay|ease|"
                                            "staleness|thinness|link_need) [0-9]+\\.[0-9].*"));
    }

    const auto as_json = run_cli({"top", "--db", site.db, "-n", "12", "--format", "json"});
    REQUIRE(as_json.exit_code == 0);
    const json::array rows = json::parse(as_json.out).as_array();
    REQUIRE(rows.size() == 12);
    check_drivers(rows, default_weights());
    // The table shows the same first driver as the JSON, to one decimal.
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const json::object& first = rows[i].as_object().at("drivers").as_array()[0].as_object();
        CHECK_THAT(lines[i + 1], Catch::Contains(fmt::format(
                                     "{} {:.1f}", std::string(first.at("component").as_string()),
                                     first.at("points").to_number<double>())));
    }
}

TEST_CASE("Top status: drivers use the weights the job was scored with", "[top-status]") {
    ScoredSite site(2000, R"({"weights": {"thinness": 2.0, "upside": 0.1}})");
    const auto as_json = run_cli({"top", "--db", site.db, "-n", "30", "--format", "json"});
    INFO(as_json.err);
    REQUIRE(as_json.exit_code == 0);
    json::object weights = default_weights();
    weights["thinness"] = 2.0;
    weights["upside"] = 0.1;
    const json::array rows = json::parse(as_json.out).as_array();
    REQUIRE(rows.size() == 30);
    check_drivers(rows, weights);
}

TEST_CASE("Top status: csv keeps the scores columns, --action filters, --limit counts",
          "[top-status]") {
    ScoredSite site(3000);
    const auto csv = run_cli({"top", "--db", site.db, "--limit", "7", "--format", "csv"});
    REQUIRE(csv.exit_code == 0);
    const auto rows = parse_csv(csv.out);
    REQUIRE(rows.size() == 8);
    CHECK(rows[0].size() == 16);
    CHECK(rows[0][0] == "id");
    CHECK(rows[0][4] == "action");

    const std::string action = GENERATE("refresh", "expand", "push_to_top");
    const auto filtered = run_cli({"top", "--db", site.db, "--action", action, "--format", "json"});
    REQUIRE(filtered.exit_code == 0);
    const json::array only = json::parse(filtered.out).as_array();
    CHECK_FALSE(only.empty());
    for (const json::value& row : only) {
        CHECK(row.as_object().at("action").as_string() == action);
    }
}

TEST_CASE("Top status: an unknown action is a usage error that lists the valid ones",
          "[top-status]") {
    ScoredSite site(200);
    const auto wrong = run_cli({"top", "--db", site.db, "--action", "refresh-content"});
    CHECK(wrong.exit_code == 2);
    for (const char* action :
         {"fix_ctr", "push_to_top", "refresh", "expand", "build_links", "monitor"}) {
        CHECK_THAT(wrong.err, Catch::Contains(action));
    }
    CHECK(wrong.out.empty());
}

TEST_CASE("Top status: a finished job says so, with its position and no resume command",
          "[top-status]") {
    ScoredSite site(1500);
    const auto status = run_cli({"status", "--db", site.db});
    INFO(status.out);
    REQUIRE(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::StartsWith("job shop: finished, 100.0% (1,500 of 1,500"));
    CHECK_THAT(status.out, Catch::Contains("at the end of the input (1,500 records)"));
    CHECK_THAT(status.out, Catch::Contains("nothing to resume, the job is finished"));
    CHECK_THAT(status.out, Catch::Contains("input " + (site.dir / "shop.csv").string()));

    const auto unknown = run_cli({"status", "--db", site.db, "--job", "shoes"});
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("no job \"shoes\"") && Catch::Contains("shop"));
}

TEST_CASE("Top status: the printed command resumes an interrupted job from a shell",
          "[top-status]") {
    using namespace bulkscore;
    TempDir dir;
    // Names that need quoting: spaces, a quote and a dollar sign.
    const fs::path folder = dir / "it's $my site";
    fs::create_directories(folder);
    const fs::path input = folder / "pages 2024.csv";
    const fs::path db = folder / "site db.sqlite";
    REQUIRE_OK(write_site_csv(input, {.pages = 5000, .seed = 3}));
    const std::string job = "july's pages";
    {
        SourceOptions source_options;
        source_options.path = input;
        auto source = open_source(source_options);
        REQUIRE_OK(source);
        auto store = SqliteStore::open(db, job);
        REQUIRE_OK(store);
        const OpportunityScoring scorer;
        BulkScorerOptions options;
        options.batch_size = 10;
        options.batches_in_flight = 2;
        options.worker_threads = 1;
        options.progress_interval = std::chrono::milliseconds(0);  // An event per commit.
        BulkScorer engine(**source, scorer, **store, **store, options);
        // Two batch slots keep the reader far behind the end when an early event stops it.
        engine.on_progress([&engine](const ProgressEvent& event) {
            if (event.done >= 100) {
                engine.cancel();
            }
        });
        auto fingerprint = fingerprint_file(input);
        REQUIRE_OK(fingerprint);
        auto summary =
            engine.run({.job = job, .input = input.string(), .input_fingerprint = *fingerprint});
        REQUIRE_OK(summary);
        REQUIRE(summary->state == JobState::kCancelled);
    }

    const auto status = run_cli({"status", "--db", db.string()});
    INFO(status.out);
    REQUIRE(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("job july's pages: cancelled"));
    CHECK_THAT(status.out,
               Catch::Contains("the next run starts at record") && Catch::Contains(", line "));
    std::string command;
    for (const std::string& line : lines_of(status.out)) {
        if (line.rfind("  resume: ", 0) == 0) {
            command = line.substr(10);
        }
    }
    REQUIRE_THAT(command, Catch::StartsWith("bulkscore score "));
    command.replace(0, 9, cli::shell_quote(BULKSCORE_CLI_PATH));
    const ShellResult resumed = run_shell(command + " --progress none");
    INFO(resumed.output);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.output, Catch::Contains("resuming job 'july's pages' at record"));

    const auto finished = run_cli({"status", "--db", db.string()});
    CHECK_THAT(finished.out, Catch::Contains("finished, 100.0% (5,000 of 5,000 records)") &&
                                 Catch::Contains("nothing to resume"));
}

TEST_CASE("Top status: a running job's command says when it is safe, and notes what it lacks",
          "[top-status]") {
    using namespace bulkscore;
    TempDir dir;
    const fs::path db = dir / "site.db";
    auto store = SqliteStore::open(db, "pages");
    REQUIRE_OK(store);
    Checkpoint checkpoint;
    checkpoint.job = "pages";
    checkpoint.state = JobState::kRunning;
    checkpoint.position = {.ordinal = 41'000, .byte_offset = 3'000'000, .line = 41'002};
    checkpoint.total = 100'000;
    checkpoint.scored = 40'990;
    checkpoint.rejected = 10;
    checkpoint.input = (dir / "gone.csv").string();
    checkpoint.config_fingerprint = std::string(OpportunityScorer::kVersion) + " {\"custom\":1}";
    checkpoint.sink_state = std::string(SqliteStore::kSinkState);
    REQUIRE_OK((*store)->save(checkpoint));

    const auto status = run_cli({"status", "--db", db.string(), "--job", "pages"});
    INFO(status.out);
    REQUIRE(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("running (or interrupted), 41.0% (41,000 of 100,000"));
    CHECK_THAT(status.out, Catch::Contains("41,000 records in; the next run starts at record "
                                           "41,001, line 41,002"));
    CHECK_THAT(status.out, Catch::Contains("resume: bulkscore score " + checkpoint.input));
    CHECK_THAT(status.out, Catch::Contains("once no process is scoring the job any more"));
    CHECK_THAT(status.out, Catch::Contains("--config FILE") &&
                               Catch::Contains("no longer at " + checkpoint.input));
}
