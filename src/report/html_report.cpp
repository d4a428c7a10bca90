// SPDX-License-Identifier: MIT
//
// `render_html_report`: the report page. The summary, the rejections and the jobs are HTML
// written here; the two charts are SVG drawn here, so they show without JavaScript; the table of
// best pages is JSON in a `<script type="application/json">` element that the inline script
// (report_assets.cpp) renders, sorts and filters. Text from the data is escaped for HTML, or for
// JSON inside a script element, everywhere it is written.
//
// Thread safety: free functions without shared state.

#include "bulkscore/html_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer_config.hpp"

#include "report/report_assets.hpp"

namespace bulkscore {
namespace {

struct ActionInfo {
    std::string_view label;   // For people, in the page.
    std::string_view colour;  // Distinct hues that stay apart for the common colour blindnesses.
    std::string_view advice;
};

// Indexed by `Action`; the advice condenses docs/scoring.md's "The recommended action".
constexpr std::array<ActionInfo, kActionCount> kActions = {{
    {"Fix title & snippet", "#e8590c",
     "ranks on page one but is clicked less than its position deserves: rewrite the title and "
     "meta description"},
    {"Push to top", "#1971c2",
     "ranks 4 to 20 with clicks to gain: improve the content for its main query and link to it "
     "from strong pages"},
    {"Refresh", "#2f9e44", "lost clicks, or is a year old: update facts, dates and examples"},
    {"Expand", "#9c36b5", "thin content: add the depth searchers look for"},
    {"Add internal links", "#c2255c",
     "almost no internal links point at it: link to it from related pages"},
    {"Monitor", "#868e96", "nothing urgent: look again after the next export"},
}};

struct ComponentInfo {
    std::string_view name;
    double Components::*member;
    std::string_view meaning;
};

constexpr std::array<ComponentInfo, 9> kComponents = {{
    {"upside", &Components::upside, "clicks it could gain at the target position (log scale)"},
    {"striking", &Components::striking, "ranks 4 to 10: within striking distance of the top"},
    {"ctr_gap", &Components::ctr_gap, "clicked less often than its position deserves"},
    {"demand", &Components::demand, "how many people search for it"},
    {"decay", &Components::decay, "share of clicks lost since the previous window"},
    {"ease", &Components::ease, "how easy its keyword is"},
    {"staleness", &Components::staleness, "how long since the content changed"},
    {"thinness", &Components::thinness, "how few words it has"},
    {"link_need", &Components::link_need, "how few internal links point at it"},
}};

std::size_t index_of(Action action) noexcept {
    return static_cast<std::size_t>(action);
}

// "1,234,567".
std::string group_digits(std::uint64_t value) {
    std::string digits = std::to_string(value);
    std::string grouped;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) {
            grouped += ',';
        }
        grouped += digits[i];
    }
    return grouped;
}

std::uint64_t rounded(double value) noexcept {
    return std::isfinite(value) && value > 0 ? static_cast<std::uint64_t>(std::llround(value)) : 0;
}

// As HTML text: a sliver shows as "&lt;0.1%" rather than "0.0%".
std::string percent(double part, double whole) {
    if (whole <= 0) {
        return "0%";
    }
    const double share = 100.0 * part / whole;
    return share > 0 && share < 0.1 ? std::string("&lt;0.1%") : fmt::format("{:.1f}%", share);
}

// "0.4 s", "3 min 12 s", "2 h 05 min".
std::string duration_text(std::int64_t ms) {
    if (ms < 0) {
        return "unknown";
    }
    if (ms < 60'000) {
        return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
    }
    const std::int64_t seconds = ms / 1000;
    if (seconds < 3600) {
        return fmt::format("{} min {:02} s", seconds / 60, seconds % 60);
    }
    return fmt::format("{} h {:02} min", seconds / 3600, seconds % 3600 / 60);
}

std::string utc_time(std::int64_t unix_ms) {
    if (unix_ms <= 0) {
        return "unknown";
    }
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    const std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
    return std::string(text, size);
}

// A round axis maximum (1, 2 or 5 times a power of ten) at or above `value`.
std::uint64_t nice_ceiling(std::uint64_t value) {
    std::uint64_t step = 1;
    while (true) {
        for (std::uint64_t factor : std::array<std::uint64_t, 3>{1, 2, 5}) {
            if (step * factor >= value) {
                return step * factor;
            }
        }
        step *= 10;
    }
}

// "12k", "1.5M": axis labels only.
std::string short_count(std::uint64_t value) {
    if (value >= 1'000'000) {
        return fmt::format("{:g}M", static_cast<double>(value) / 1e6);
    }
    if (value >= 10'000) {
        return fmt::format("{:g}k", static_cast<double>(value) / 1e3);
    }
    return group_digits(value);
}

// JSON has no NaN or infinity; a stored one (from another program) becomes 0.
std::string json_number(double value, int decimals) {
    return fmt::format("{:.{}f}", std::isfinite(value) ? value : 0.0, decimals);
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            case '"':
                escaped += "&quot;";
                break;
            case '\'':
                escaped += "&#39;";
                break;
            default:
                escaped += c;
        }
    }
    return escaped;
}

std::string json_script_string(std::string_view text) {
    std::string json = "\"";
    json.reserve(text.size() + 2);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
            case '"':
                json += "\\\"";
                break;
            case '\\':
                json += "\\\\";
                break;
            case '\n':
                json += "\\n";
                break;
            case '\r':
                json += "\\r";
                break;
            case '\t':
                json += "\\t";
                break;
            // `<` and `>` could end the script element (`</script>`) or open a comment in it;
            // `&` is escaped too, so the text is inert in any HTML context.
            case '<':
            case '>':
            case '&':
                json += fmt::format("\\u{:04x}", c);
                break;
            default:
                if (c < 0x20) {
                    json += fmt::format("\\u{:04x}", c);
                } else if (c == 0xE2 && i + 2 < text.size() &&
                           static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                           (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8) {
                    // U+2028 and U+2029 end lines in older JavaScript parsers.
                    json += static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
                    i += 2;
                } else {
                    json += static_cast<char>(c);
                }
        }
    }
    json += '"';
    return json;
}

std::vector<ComponentShare> driving_components(const Components& components,
                                               const Components& weights,
                                               std::size_t limit) {
    double sum = 0;
    for (const ComponentInfo& part : kComponents) {
        sum += weights.*part.member;
    }
    const double scale = sum > 0 ? 100.0 / sum : 0.0;
    std::vector<ComponentShare> shares;
    for (const ComponentInfo& part : kComponents) {
        shares.push_back({part.name, weights.*part.member * components.*part.member * scale});
    }
    std::stable_sort(
        shares.begin(), shares.end(),
        [](const ComponentShare& a, const ComponentShare& b) { return a.points > b.points; });
    // Shares that would print as 0.0 explain nothing.
    std::erase_if(shares, [](const ComponentShare& share) { return share.points < 0.05; });
    shares.resize(std::min(shares.size(), limit));
    return shares;
}

Components job_weights(const Checkpoint& job) {
    // The built-in scorer's fingerprint is "<version> <canonical configuration JSON>".
    const std::string_view fingerprint = job.config_fingerprint;
    const std::size_t space = fingerprint.find(' ');
    if (space != std::string_view::npos &&
        fingerprint.substr(0, space) == OpportunityScorer::kVersion) {
        auto config = parse_scorer_config(fingerprint.substr(space + 1), "job configuration");
        if (config.ok()) {
            return config->weights;
        }
    }
    return ScorerConfig::defaults().weights;
}

namespace {

void append_head(std::string& html, const ReportData& data) {
    const std::string title = data.job ? fmt::format("Search opportunities: {}", *data.job)
                                       : std::string("Search opportunities");
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    // The page may run only its own inline code and load nothing.
    html +=
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n";
    fmt::format_to(std::back_inserter(html), "<title>{}</title>\n<style>{}</style>\n",
                   html_escape(title), detail::kReportCss);
    fmt::format_to(std::back_inserter(html), "<script>{}</script>\n</head>\n<body>\n",
                   detail::kReportErrorTrap);
    fmt::format_to(std::back_inserter(html),
                   "<header><h1>{}</h1><p>Database <code title=\"{}\">{}</code> &middot; "
                   "generated {} &middot; by bulkscore</p></header>\n<main>\n",
                   html_escape(title), html_escape(data.database),
                   html_escape(std::filesystem::path(data.database).filename().string()),
                   utc_time(data.generated_at_ms));
}

// First start to last checkpoint of each job; a resumed job's time includes its pause.
std::int64_t run_time_ms(const ReportData& data) {
    std::int64_t total = 0;
    for (const Checkpoint& job : data.jobs) {
        total += std::max<std::int64_t>(0, job.updated_at_ms - job.started_at_ms);
    }
    return total;
}

void append_card(std::string& html,
                 std::string_view label,
                 std::string_view value,
                 std::string_view sub,
                 bool key = false) {
    fmt::format_to(std::back_inserter(html),
                   "<div class=\"card{}\"><div class=\"label\">{}</div><div class=\"value\">{}"
                   "</div><div class=\"sub\">{}</div></div>\n",
                   key ? " key" : "", label, value, sub);
}

void append_summary(std::string& html, const ReportData& data) {
    const std::uint64_t pages = data.scored + data.rejected;
    const double pages_d = static_cast<double>(pages);
    const double mean = data.scored == 0 ? 0.0 : data.score_sum / static_cast<double>(data.scored);
    html += "<div class=\"cards\" id=\"summary\">\n";
    append_card(html, "Pages", group_digits(pages), "rows read from the input");
    append_card(html, "Scored", group_digits(data.scored),
                fmt::format("{} of the pages &middot; mean score {:.1f}",
                            percent(static_cast<double>(data.scored), pages_d), mean));
    append_card(html, "Rejected", group_digits(data.rejected),
                fmt::format("{} &middot; listed below with the reason",
                            percent(static_cast<double>(data.rejected), pages_d)));
    append_card(html, "Potential clicks", group_digits(rounded(data.potential_clicks)),
                "more clicks per window if every page reached the target position", true);
    const auto& push = data.actions[index_of(Action::kPushToTop)];
    const auto& fix = data.actions[index_of(Action::kFixCtr)];
    append_card(
        html, "Quick wins", group_digits(push.pages + fix.pages),
        fmt::format("push to the top or fix the snippet: {} of the potential clicks",
                    percent(push.potential_clicks + fix.potential_clicks, data.potential_clicks)));
    std::string jobs_line;
    for (const Checkpoint& job : data.jobs) {
        jobs_line += jobs_line.empty() ? "" : ", ";
        jobs_line +=
            fmt::format("&ldquo;{}&rdquo;, {}", html_escape(job.job), to_string(job.state));
    }
    append_card(html, "Run time", duration_text(run_time_ms(data)),
                jobs_line.empty() ? std::string("no job recorded") : "job " + jobs_line);
    html += "</div>\n";
}

void append_svg_rect(std::string& html,
                     double x,
                     double y,
                     double width,
                     double height,
                     std::string_view fill,
                     std::string_view tooltip,
                     std::string_view extra = "") {
    fmt::format_to(std::back_inserter(html),
                   "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                   "fill=\"{}\"{}><title>{}</title></rect>",
                   x, y, width, height, fill, extra, tooltip);
}

constexpr double kChartWidth = 600;

void append_histogram_axes(std::string& html,
                           double left,
                           double top,
                           double width,
                           double height,
                           std::uint64_t axis_max) {
    html += "<g class=\"grid axis\">";
    for (int tick = 0; tick <= 4; ++tick) {
        const double y = top + height - height * tick / 4.0;
        const auto value = axis_max * static_cast<std::uint64_t>(tick) / 4;
        fmt::format_to(std::back_inserter(html),
                       "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                       left, left + width, y, y, left - 6, y + 4, short_count(value));
    }
    for (int score = 0; score <= 100; score += 10) {
        fmt::format_to(std::back_inserter(html),
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>",
                       left + width * score / 100.0, top + height + 16, score);
    }
    html += "</g>";
}

void append_histogram(std::string& html, const ReportData& data) {
    constexpr double kLeft = 52, kTop = 10, kWidth = kChartWidth - kLeft - 12, kHeight = 214;
    std::uint64_t tallest = 0;
    for (const auto& bin : data.histogram) {
        std::uint64_t total = 0;
        for (std::uint64_t pages : bin) {
            total += pages;
        }
        tallest = std::max(tallest, total);
    }
    const std::uint64_t axis_max = nice_ceiling(std::max<std::uint64_t>(tallest, 4));
    fmt::format_to(std::back_inserter(html),
                   "<svg class=\"chart\" id=\"histogram\" viewBox=\"0 0 {} {}\" role=\"img\" "
                   "aria-label=\"Number of pages per score range, coloured by action\">",
                   kChartWidth, kTop + kHeight + 40);
    append_histogram_axes(html, kLeft, kTop, kWidth, kHeight, axis_max);
    const double slot = kWidth / static_cast<double>(kScoreBins);
    for (std::size_t bin = 0; bin < kScoreBins; ++bin) {
        double y = kTop + kHeight;
        for (std::size_t action = 0; action < kActionCount; ++action) {
            const std::uint64_t pages = data.histogram[bin][action];
            if (pages == 0) {
                continue;
            }
            const double height =
                kHeight * static_cast<double>(pages) / static_cast<double>(axis_max);
            y -= height;
            const std::string tooltip =
                fmt::format("score {}-{}: {} pages, {}", bin * 5, bin * 5 + 5, group_digits(pages),
                            kActions[action].label);
            append_svg_rect(html, kLeft + slot * static_cast<double>(bin) + 1, y, slot - 2, height,
                            kActions[action].colour, html_escape(tooltip), " class=\"bar\"");
        }
    }
    fmt::format_to(std::back_inserter(html),
                   "<text class=\"muted\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">score"
                   "</text></svg>\n",
                   kLeft + kWidth / 2, kTop + kHeight + 34);
}

// The largest share of the pages or of the potential clicks that one action has.
double largest_share(const ReportData& data) {
    const double scored = static_cast<double>(data.scored);
    double largest = 0;
    for (const ActionTotal& total : data.actions) {
        largest = std::max(largest, scored > 0 ? static_cast<double>(total.pages) / scored : 0);
        largest = std::max(largest, data.potential_clicks > 0
                                        ? total.potential_clicks / data.potential_clicks
                                        : 0);
    }
    return largest;
}

// Per action, two bars: its share of the scored pages and its share of the potential clicks.
void append_action_split(std::string& html, const ReportData& data) {
    constexpr double kLabel = 150, kBar = 270, kRow = 40, kTop = 26;
    fmt::format_to(std::back_inserter(html),
                   "<svg class=\"chart\" id=\"action-split\" viewBox=\"0 0 {} {}\" role=\"img\" "
                   "aria-label=\"Pages and potential clicks per action\">",
                   kChartWidth, kTop + kRow * kActionCount + 4);
    fmt::format_to(std::back_inserter(html),
                   "<rect x=\"{0}\" y=\"6\" width=\"10\" height=\"10\" fill=\"#495057\"/>"
                   "<text x=\"{1}\" y=\"15\">share of pages</text>"
                   "<rect x=\"{2}\" y=\"6\" width=\"10\" height=\"10\" fill=\"#495057\" "
                   "fill-opacity=\"0.35\"/><text x=\"{3}\" y=\"15\">share of potential clicks"
                   "</text>",
                   kLabel, kLabel + 15, kLabel + 130, kLabel + 145);
    const double scored = static_cast<double>(data.scored);
    // Bars are scaled to the largest share, so small differences stay visible.
    const double largest = largest_share(data);
    const double bar_scale = largest > 0 ? kBar / largest : 0;
    for (std::size_t action = 0; action < kActionCount; ++action) {
        const ActionTotal& total = data.actions[action];
        const ActionInfo& about = kActions[action];
        const double y = kTop + kRow * static_cast<double>(action);
        const double page_share = scored > 0 ? static_cast<double>(total.pages) / scored : 0;
        const double click_share =
            data.potential_clicks > 0 ? total.potential_clicks / data.potential_clicks : 0;
        fmt::format_to(std::back_inserter(html),
                       "<text x=\"0\" y=\"{:.1f}\" font-weight=\"600\">{}</text>", y + 17,
                       html_escape(about.label));
        const std::string pages_text =
            fmt::format("{} pages &middot; {}", group_digits(total.pages),
                        percent(static_cast<double>(total.pages), scored));
        const std::string clicks_text =
            fmt::format("{} clicks &middot; {}", group_digits(rounded(total.potential_clicks)),
                        percent(total.potential_clicks, data.potential_clicks));
        append_svg_rect(html, kLabel, y + 4, std::max(1.0, bar_scale * page_share), 16,
                        about.colour, pages_text);
        append_svg_rect(html, kLabel, y + 22, std::max(1.0, bar_scale * click_share), 12,
                        about.colour, clicks_text, " fill-opacity=\"0.35\"");
        fmt::format_to(std::back_inserter(html),
                       "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>"
                       "<text class=\"muted\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>",
                       kLabel + bar_scale * page_share + 6, y + 16, pages_text,
                       kLabel + bar_scale * click_share + 6, y + 32, clicks_text);
    }
    html += "</svg>\n";
}

void append_action_legend(std::string& html) {
    html += "<ul class=\"legend\">";
    for (const ActionInfo& action : kActions) {
        fmt::format_to(std::back_inserter(html),
                       "<li><span class=\"swatch\" style=\"background:{}\"></span><b>{}</b>: {}"
                       "</li>",
                       action.colour, html_escape(action.label), html_escape(action.advice));
    }
    html += "</ul>\n";
}

void append_charts(std::string& html, const ReportData& data) {
    html += "<div class=\"charts\">\n<section><h2>How the scores are spread</h2>";
    html +=
        "<p class=\"hint\">Pages per score range (0 = nothing to gain, 100 = the largest "
        "opportunity), coloured by recommended action.</p>\n";
    append_histogram(html, data);
    html += "</section>\n<section><h2>What to do, and where the clicks are</h2>";
    html +=
        "<p class=\"hint\">Each action's share of the scored pages, and of the clicks those "
        "pages could gain.</p>\n";
    append_action_split(html, data);
    html += "</section>\n</div>\n<section class=\"actions\">";
    append_action_legend(html);
    html += "</section>\n";
}

// One row: `[id, url, score, potential, action index, nine components, drivers]`.
void append_row_json(std::string& json, const StoredScore& row, const Components& weights) {
    fmt::format_to(std::back_inserter(json), "[{},{},{},{},{}", json_script_string(row.id),
                   json_script_string(row.url), json_number(row.score, 2),
                   json_number(row.potential_clicks, 1), index_of(row.action));
    for (const ComponentInfo& part : kComponents) {
        fmt::format_to(std::back_inserter(json), ",{}",
                       json_number(row.components.*part.member, 3));
    }
    json += ",[";
    bool first = true;
    for (const ComponentShare& share : driving_components(row.components, weights)) {
        const auto part = std::find_if(kComponents.begin(), kComponents.end(),
                                       [&](const auto& c) { return c.name == share.name; });
        fmt::format_to(std::back_inserter(json), "{}[{},{}]", first ? "" : ",",
                       part - kComponents.begin(), json_number(share.points, 1));
        first = false;
    }
    json += "]]";
}

// The table's data (see kReportScript for the layout). Each row's drivers use the weights its
// job ran with.
std::string table_json(const ReportData& data) {
    std::vector<std::pair<std::string, Components>> weights;
    for (const Checkpoint& job : data.jobs) {
        weights.emplace_back(job.job, job_weights(job));
    }
    const Components defaults = ScorerConfig::defaults().weights;
    std::string json = "{\"actions\":[";
    for (std::size_t i = 0; i < kActionCount; ++i) {
        fmt::format_to(std::back_inserter(json), "{}[{},{},{}]", i == 0 ? "" : ",",
                       json_script_string(to_string(static_cast<Action>(i))),
                       json_script_string(kActions[i].label),
                       json_script_string(kActions[i].colour));
    }
    json += "],\"components\":[";
    for (std::size_t i = 0; i < kComponents.size(); ++i) {
        fmt::format_to(std::back_inserter(json), "{}\"{}\"", i == 0 ? "" : ",",
                       kComponents[i].name);
    }
    json += "],\"rows\":[";
    for (std::size_t r = 0; r < data.top.size(); ++r) {
        const StoredScore& row = data.top[r];
        const auto job = std::find_if(weights.begin(), weights.end(),
                                      [&](const auto& entry) { return entry.first == row.job; });
        json += r == 0 ? "\n" : ",\n";
        append_row_json(json, row, job == weights.end() ? defaults : job->second);
    }
    json += "]}";
    return json;
}

void append_table_header(std::string& html) {
    struct Column {
        std::string_view key, label, type, title;
    };
    static constexpr std::array<Column, 6> kColumns = {{
        {"rank", "#", "num", "rank by score"},
        {"score", "Score", "num", "0 to 100: how much there is to gain by working on the page"},
        {"action", "Action", "text", "the recommended action"},
        {"potential", "Potential clicks", "num",
         "clicks the page could gain per window at the target position"},
        {"page", "Page", "text", "the page's URL (or id)"},
        {"drivers", "Why: largest parts", "text",
         "the parts of the score that weigh most, in score points"},
    }};
    html += "<thead><tr>";
    for (const Column& column : kColumns) {
        fmt::format_to(std::back_inserter(html),
                       "<th data-key=\"{}\" data-type=\"{}\" class=\"{}\" title=\"{}\"{}>"
                       "<button type=\"button\">{}</button></th>",
                       column.key, column.type,
                       column.key == "potential" ? "num wrap" : (column.type == "num" ? "num" : ""),
                       column.title, column.key == "score" ? " aria-sort=\"descending\"" : "",
                       html_escape(column.label));
    }
    for (const ComponentInfo& part : kComponents) {
        fmt::format_to(std::back_inserter(html),
                       "<th data-key=\"{0}\" data-type=\"num\" class=\"num c\" title=\"{0}: {1} "
                       "(0 to 1)\"><button type=\"button\">{0}</button></th>",
                       part.name, part.meaning);
    }
    html += "</tr></thead>";
}

void append_top_table(std::string& html, const ReportData& data) {
    fmt::format_to(std::back_inserter(html),
                   "<section id=\"top\"><h2>The {} best opportunities</h2>\n<p class=\"hint\">"
                   "Ranked by score. Click a column to sort by it; hover a column for what it "
                   "means. The nine parts on the right are each 0 to 1; the score weighs them "
                   "(<code>docs/scoring.md</code> explains each).</p>\n",
                   group_digits(data.top.size()));
    std::array<std::uint64_t, kActionCount> in_table{};
    for (const StoredScore& row : data.top) {
        ++in_table[index_of(row.action)];
    }
    html +=
        "<div class=\"controls\"><label>Action <select id=\"action-filter\">"
        "<option value=\"\">All actions</option>";
    for (std::size_t i = 0; i < kActionCount; ++i) {
        fmt::format_to(std::back_inserter(html), "<option value=\"{}\">{} ({})</option>",
                       to_string(static_cast<Action>(i)), html_escape(kActions[i].label),
                       group_digits(in_table[i]));
    }
    html +=
        "</select></label><input id=\"text-filter\" type=\"search\" placeholder=\"Filter by "
        "id or URL\" aria-label=\"Filter by id or URL\"><span id=\"shown\"></span></div>\n";
    html += "<div class=\"table-wrap\"><table id=\"top-table\">";
    append_table_header(html);
    html +=
        "<tbody id=\"top-body\"></tbody></table></div>\n<p class=\"empty\" id=\"no-match\" "
        "hidden>No page matches these filters.</p>\n<noscript><p class=\"empty\">The table "
        "needs JavaScript. <code>bulkscore top</code> prints the same list.</p></noscript>\n";
    fmt::format_to(std::back_inserter(html),
                   "<script type=\"application/json\" id=\"report-data\">{}</script>\n"
                   "</section>\n",
                   table_json(data));
}

void append_rejections(std::string& html, const ReportData& data) {
    fmt::format_to(std::back_inserter(html),
                   "<section id=\"rejections\"><h2>Rejected rows: {}</h2>\n",
                   group_digits(data.rejected));
    if (data.rejected == 0) {
        html += "<p class=\"hint\">Every row of the input was scored.</p></section>\n";
        return;
    }
    std::string reasons;
    for (const ReasonCount& reason : data.reasons) {
        reasons += fmt::format("{}<code>{}</code> {}", reasons.empty() ? "" : " &middot; ",
                               to_string(reason.reason), group_digits(reason.count));
    }
    fmt::format_to(
        std::back_inserter(html),
        "<p class=\"hint\">These rows were not scored; fix them in the export and "
        "score it again. By reason: {}. {}</p>\n",
        reasons,
        data.rejections.size() < data.rejected
            ? fmt::format("The first {} are listed.", group_digits(data.rejections.size()))
            : std::string());
    const bool many_jobs = data.jobs.size() > 1;
    fmt::format_to(std::back_inserter(html),
                   "<div class=\"table-wrap\"><table class=\"plain\" id=\"rejection-table\">"
                   "<thead><tr>{}<th class=\"num\">Line</th><th>Id</th><th>Column</th>"
                   "<th>Reason</th><th>What is wrong</th></tr></thead><tbody>",
                   many_jobs ? "<th>Job</th>" : "");
    for (const StoredRejection& row : data.rejections) {
        fmt::format_to(std::back_inserter(html),
                       "<tr>{}<td class=\"num\">{}</td><td>{}</td><td>{}</td><td><code>{}</code>"
                       "</td><td>{}</td></tr>\n",
                       many_jobs ? "<td>" + html_escape(row.job) + "</td>" : "",
                       row.line == 0 ? std::string("&ndash;") : group_digits(row.line),
                       html_escape(row.id), html_escape(row.field), to_string(row.reason),
                       html_escape(row.message));
    }
    html += "</tbody></table></div></section>\n";
}

void append_jobs(std::string& html, const ReportData& data) {
    html +=
        "<section id=\"jobs\"><h2>Jobs</h2><div class=\"table-wrap\"><table class=\"plain\">"
        "<thead><tr><th>Job</th><th>State</th><th>Input</th><th class=\"num\">Records</th>"
        "<th class=\"num\">Scored</th><th class=\"num\">Rejected</th><th>Started</th>"
        "<th class=\"num\">Run time</th></tr></thead><tbody>";
    for (const Checkpoint& job : data.jobs) {
        fmt::format_to(std::back_inserter(html),
                       "<tr><td>{}</td><td class=\"state-{}\" title=\"{}\">{}</td><td>{}</td>"
                       "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
                       "</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                       html_escape(job.job), to_string(job.state), html_escape(job.message),
                       to_string(job.state), html_escape(job.input),
                       job.total == 0 ? std::string("&ndash;") : group_digits(job.total),
                       group_digits(job.scored), group_digits(job.rejected),
                       utc_time(job.started_at_ms),
                       duration_text(job.updated_at_ms - job.started_at_ms));
    }
    html +=
        "</tbody></table></div><p class=\"hint\">Run time is from the job's first start to "
        "its last checkpoint, so a job that was interrupted and resumed counts the pause "
        "too.</p></section>\n";
}

}  // namespace

std::string render_html_report(const ReportData& data) {
    std::string html;
    html.reserve(64 * 1024 + data.top.size() * 320 + data.rejections.size() * 200);
    append_head(html, data);
    append_summary(html, data);
    append_charts(html, data);
    append_top_table(html, data);
    append_rejections(html, data);
    append_jobs(html, data);
    html +=
        "</main>\n<footer>Made by <code>bulkscore report</code>. Scores and actions follow "
        "the <code>opportunity-v1</code> score; <code>docs/scoring.md</code> explains them. "
        "This file needs no network.</footer>\n";
    fmt::format_to(std::back_inserter(html), "<script>{}</script>\n</body>\n</html>\n",
                   detail::kReportScript);
    return html;
}

}  // namespace bulkscore
