// SPDX-License-Identifier: MIT
//
// Tests of the CLI's progress rendering as pure functions: the live bar's line for an event and
// a terminal width, the periodic log line, number and duration formats, and the redraw throttle
// driven by a made-up clock (never the wall clock).

#include "cli/progress_display.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace std::chrono_literals;

namespace bulkscore::cli {
namespace {

ProgressEvent running(std::uint64_t done, std::uint64_t total) {
    ProgressEvent event;
    event.phase = ProgressPhase::kRunning;
    event.total = total;
    event.done = done;
    event.scored = done;
    event.percent = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
    event.rate = 812'400.4;
    event.eta_s = 0.74;
    event.elapsed_s = 0.5;
    return event;
}

std::size_t count_of(const std::string& text, char c) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), c));
}

}  // namespace

TEST_CASE("Progress display: the bar shows percent, counts, rate, ETA and counters",
          "[progress-display]") {
    ProgressEvent event = running(452'000, 1'000'000);
    event.rejected = 12;
    event.retries = 3;
    CHECK(render_bar(event, 120) ==
          "[#############-----------------]   45.2%  452,000/1,000,000  812,400/s  ETA 0.7 s  "
          "rejected 12  retries 3");
}

TEST_CASE("Progress display: the finished frame says 100% and how long it took",
          "[progress-display]") {
    ProgressEvent event = running(1'000'000, 1'000'000);
    event.phase = ProgressPhase::kFinished;
    event.percent = 100;
    event.elapsed_s = 83;
    const std::string line = render_bar(event, 140);
    CHECK_THAT(line, Catch::StartsWith("[##############################]  100.0%  "));
    CHECK_THAT(line, Catch::Contains("done in 1 min 23 s") && !Catch::Contains("ETA"));
}

TEST_CASE("Progress display: a percent just under 100 never shows as 100", "[progress-display]") {
    ProgressEvent event = running(99'960, 100'000);
    const std::string line = render_bar(event, 100);
    CHECK_THAT(line, Catch::Contains(" 99.9%") && !Catch::Contains("100.0%"));
    CHECK(count_of(line.substr(0, line.find(']')), '-') == 1);
    CHECK_THAT(render_log_line(event), Catch::StartsWith("bulkscore: 99.9% "));
}

TEST_CASE("Progress display: the graphic fills in proportion to the percent",
          "[progress-display]") {
    const std::string half = render_bar(running(50, 100), 100);
    const std::string graphic = half.substr(0, half.find(']') + 1);
    CHECK(count_of(graphic, '#') == count_of(graphic, '-'));
    CHECK(count_of(render_bar(running(0, 100), 100), '#') == 0);
}

TEST_CASE("Progress display: the line never takes the terminal's last column",
          "[progress-display]") {
    const std::size_t columns = GENERATE(range<std::size_t>(1, 160));
    ProgressEvent event = running(123'456'789, 987'654'321);
    event.rejected = GENERATE(0u, 1'234'567u);
    event.retries = GENERATE(0u, 42u);
    event.phase = GENERATE(ProgressPhase::kRunning, ProgressPhase::kRetrying);
    INFO(columns);
    CHECK(render_bar(event, columns).size() <= (columns > 0 ? columns - 1 : 0));
}

TEST_CASE("Progress display: a narrow terminal drops the graphic, then zero counters and rate",
          "[progress-display]") {
    ProgressEvent event = running(452'000, 1'000'000);
    event.rejected = 12;
    const std::string at_80 = render_bar(event, 80);
    CHECK_THAT(at_80, Catch::StartsWith("[") && Catch::Contains("rejected 12") &&
                          !Catch::Contains("retries"));
    const std::string at_60 = render_bar(event, 60);
    CHECK_THAT(at_60, !Catch::StartsWith("[") && Catch::Contains("45.2%") &&
                          Catch::Contains("ETA 0.7 s") && Catch::Contains("rejected 12"));
    const std::string at_40 = render_bar(event, 40);
    CHECK_THAT(at_40, Catch::Contains("45.2%") && !Catch::Contains("/s"));
}

TEST_CASE("Progress display: without a total the bar counts records and has no graphic",
          "[progress-display]") {
    ProgressEvent event = running(4'500, 0);
    event.eta_s = 0;
    CHECK(render_bar(event, 100) == "4,500 records  812,400/s  rejected 0  retries 0");
    CHECK(render_log_line(event) == "bulkscore: 4,500 records at 812,400/s, 0 rejected");
}

TEST_CASE("Progress display: retrying, cancelled and failed runs say so", "[progress-display]") {
    ProgressEvent event = running(10, 100);
    event.phase =
        GENERATE(ProgressPhase::kRetrying, ProgressPhase::kCancelled, ProgressPhase::kFailed);
    const std::string line = render_bar(event, 120);
    CHECK_THAT(line, Catch::EndsWith(fmt::format("({})", to_string(event.phase))));
    if (event.phase != ProgressPhase::kRetrying) {
        CHECK_THAT(line, !Catch::Contains("ETA"));
    }
}

TEST_CASE("Progress display: the log line reads as a sentence", "[progress-display]") {
    ProgressEvent event = running(452'000, 1'000'000);
    event.eta_s = 65;
    event.rejected = 12;
    event.retries = 3;
    CHECK(render_log_line(event) ==
          "bulkscore: 45.2% (452,000 of 1,000,000) at 812,400/s, about 1 min 05 s left, "
          "12 rejected, 3 retries");
}

TEST_CASE("Progress display: numbers and durations for people", "[progress-display]") {
    CHECK(group_thousands(0) == "0");
    CHECK(group_thousands(999) == "999");
    CHECK(group_thousands(1000) == "1,000");
    CHECK(group_thousands(1'234'567) == "1,234,567");
    CHECK(format_duration(4.24) == "4.2 s");
    CHECK(format_duration(42) == "42 s");
    CHECK(format_duration(185) == "3 min 05 s");
    CHECK(format_duration(7620) == "2 h 07 min");
    CHECK(format_duration(-1) == "?");
}

TEST_CASE("Progress display: the bar redraws at most ten times a second, finals always",
          "[progress-display]") {
    RedrawThrottle throttle(kBarRedrawInterval);
    const RedrawThrottle::Clock::time_point start{};
    int drawn = 0;
    // One event every 7 ms for 2 s: at most one draw per 100 ms, the first one included.
    for (auto t = 0ms; t < 2000ms; t += 7ms) {
        drawn += throttle.due(ProgressPhase::kRunning, start + t) ? 1 : 0;
    }
    CHECK(drawn >= 19);
    CHECK(drawn <= 21);
    CHECK(throttle.due(ProgressPhase::kFinished, start + 2001ms));
    CHECK(throttle.due(ProgressPhase::kCancelled, start + 2002ms));
}

TEST_CASE("Progress display: the log line waits one interval, then one per interval",
          "[progress-display]") {
    RedrawThrottle throttle(kLogLineInterval, /*skip_first=*/true);
    const RedrawThrottle::Clock::time_point start{};
    CHECK_FALSE(throttle.due(ProgressPhase::kRunning, start));
    CHECK_FALSE(throttle.due(ProgressPhase::kRunning, start + 4s));
    CHECK(throttle.due(ProgressPhase::kRunning, start + 5s));
    CHECK_FALSE(throttle.due(ProgressPhase::kRunning, start + 9s));
    CHECK(throttle.due(ProgressPhase::kRunning, start + 10s));
}

}  // namespace bulkscore::cli
