// SPDX-License-Identifier: MIT
//
// `bulkscore top`: the best-scoring pages of a SQLite database, as an aligned table (with the
// components that drove each score), as CSV with the `scores` columns, or as a JSON array.
//
// What "drove" means (docs/cli.md): a component's contribution is the number of score points it
// accounts for, `100 * w * c / sum(w)` with the weights its job was scored with, so that the nine
// contributions add up to the score. The drivers are the three largest contributions of at least
// 0.05 points, largest first, ties in SCORING.md's order.
//
// Thread safety: runs on the main thread only.

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "bulkscore/html_report.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/scorer_config.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "cli/commands.hpp"

namespace bulkscore::cli {
namespace {

constexpr std::array kActions = {Action::kFixCtr, Action::kPushToTop,  Action::kRefresh,
                                 Action::kExpand, Action::kBuildLinks, Action::kMonitor};

std::string action_names() {
    std::string names;
    for (Action action : kActions) {
        names += names.empty() ? "" : ", ";
        names += to_string(action);
    }
    return names;
}

constexpr std::size_t kDriversShown = 3;

using Drivers = std::vector<ComponentShare>;

// The weights each job was scored with (`job_weights`: from its checkpoint, SCORING.md's
// defaults for a host's own scorer or a job whose checkpoint is gone).
class JobWeights {
public:
    explicit JobWeights(const std::vector<Checkpoint>& jobs) {
        for (const Checkpoint& job : jobs) {
            by_job_.emplace(job.job, job_weights(job));
        }
    }

    const Components& of(const std::string& job) const {
        const auto found = by_job_.find(job);
        return found == by_job_.end() ? defaults_ : found->second;
    }

private:
    Components defaults_ = ScorerConfig::defaults().weights;
    std::map<std::string, Components, std::less<>> by_job_;
};

// The components that drove the score (see the file comment), largest first.
Drivers drivers(const Components& components, const Components& weights) {
    return driving_components(components, weights, kDriversShown);
}

// "upside 21.3, striking 15.0, ease 8.1", or "-" when nothing reaches 0.05 points.
std::string drivers_text(const Drivers& drivers) {
    std::string text;
    for (const ComponentShare& part : drivers) {
        text += fmt::format("{}{} {:.1f}", text.empty() ? "" : ", ", part.name, part.points);
    }
    return text.empty() ? "-" : text;
}

void print_table(const std::vector<StoredScore>& rows, const JobWeights& weights) {
    std::vector<std::string> parts;
    std::size_t action_width = 6;
    std::size_t parts_width = 16;
    for (const StoredScore& row : rows) {
        parts.push_back(drivers_text(drivers(row.components, weights.of(row.job))));
        action_width = std::max(action_width, to_string(row.action).size());
        parts_width = std::max(parts_width, parts.back().size());
    }
    fmt::print("{:>4}  {:>5}  {:<{}}  {:>10}  {:<{}}  {}\n", "rank", "score", "action",
               action_width, "potential", "drivers (points)", parts_width, "url");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const StoredScore& row = rows[i];
        fmt::print("{:>4}  {:>5.1f}  {:<{}}  {:>10.1f}  {:<{}}  {}\n", i + 1, row.score,
                   to_string(row.action), action_width, row.potential_clicks, parts[i], parts_width,
                   row.url.empty() ? row.id : row.url);
    }
}

// RFC 4180: quoted only when needed, quotes doubled.
std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string quoted = "\"";
    for (char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    quoted += '"';
    return quoted;
}

void print_csv(const std::vector<StoredScore>& rows) {
    fmt::print(
        "id,url,score,potential_clicks,action,upside,striking,ctr_gap,demand,decay,ease,"
        "staleness,thinness,link_need,scorer_version,job\n");
    for (const StoredScore& row : rows) {
        const Components& c = row.components;
        // `{}` prints the shortest text that reads back as the same double.
        fmt::print("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(row.id),
                   csv_field(row.url), row.score, row.potential_clicks, to_string(row.action),
                   c.upside, c.striking, c.ctr_gap, c.demand, c.decay, c.ease, c.staleness,
                   c.thinness, c.link_need, csv_field(row.scorer_version), csv_field(row.job));
    }
}

void print_json(const std::vector<StoredScore>& rows, const JobWeights& weights) {
    boost::json::array array;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const StoredScore& row = rows[i];
        const Components& c = row.components;
        boost::json::array driver_array;
        for (const ComponentShare& part : drivers(c, weights.of(row.job))) {
            driver_array.push_back(
                boost::json::object{{"component", part.name}, {"points", part.points}});
        }
        array.push_back(boost::json::object{
            {"rank", i + 1},
            {"id", row.id},
            {"url", row.url},
            {"score", row.score},
            {"potential_clicks", row.potential_clicks},
            {"action", to_string(row.action)},
            {"upside", c.upside},
            {"striking", c.striking},
            {"ctr_gap", c.ctr_gap},
            {"demand", c.demand},
            {"decay", c.decay},
            {"ease", c.ease},
            {"staleness", c.staleness},
            {"thinness", c.thinness},
            {"link_need", c.link_need},
            {"scorer_version", row.scorer_version},
            {"job", row.job},
            {"drivers", std::move(driver_array)},
        });
    }
    fmt::print("{}\n", boost::json::serialize(array));
}

// Checks that `job` exists, so that a typo is an error rather than an empty list.
int check_job(const TopArgs& args, const std::vector<Checkpoint>& jobs) {
    std::string names;
    for (const Checkpoint& checkpoint : jobs) {
        if (checkpoint.job == args.job) {
            return kExitOk;
        }
        names += names.empty() ? "" : ", ";
        names += checkpoint.job;
    }
    fmt::print(stderr, "bulkscore top: no job \"{}\" in {}; its jobs: {}\n", args.job, args.db,
               names.empty() ? "none" : names);
    return kExitUsage;
}

}  // namespace

int run_top(const TopArgs& args) {
    if (args.format != "table" && args.format != "csv" && args.format != "json") {
        fmt::print(stderr, "bulkscore top: unknown --format \"{}\"; use table, csv or json\n",
                   args.format);
        return kExitUsage;
    }
    TopQuery query;
    query.limit = args.limit;
    if (!args.action.empty()) {
        query.action = parse_action(args.action);
        if (!query.action) {
            fmt::print(stderr, "bulkscore top: unknown --action \"{}\"; use one of: {}\n",
                       args.action, action_names());
            return kExitUsage;
        }
    }
    auto jobs = read_jobs(args.db);
    if (!jobs.ok()) {
        fmt::print(stderr, "bulkscore top: {}\n", jobs.status().message());
        return exit_code_for_read(jobs.status());
    }
    if (!args.job.empty()) {
        if (const int code = check_job(args, *jobs); code != kExitOk) {
            return code;
        }
        query.job = args.job;
    }
    const JobWeights weights(*jobs);

    auto rows = read_top_scores(args.db, query);
    if (!rows.ok()) {
        fmt::print(stderr, "bulkscore top: {}\n", rows.status().message());
        return exit_code_for_read(rows.status());
    }
    if (args.format == "csv") {
        print_csv(*rows);
    } else if (args.format == "json") {
        print_json(*rows, weights);
    } else if (rows->empty()) {
        fmt::print(stderr, "bulkscore top: no scores in {}{}\n", args.db,
                   args.action.empty() ? "" : " with action " + args.action);
    } else {
        print_table(*rows, weights);
    }
    return kExitOk;
}

}  // namespace bulkscore::cli
