// SPDX-License-Identifier: MIT
//
// Tests of progress reporting pieces: phase names, the JSON line, the sliding-window rate (fed
// made-up times, never the wall clock), the ETA and the warning rate limiter.

#include "bulkscore/progress.hpp"

#include <chrono>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/progress_meter.hpp"

using namespace std::chrono_literals;

namespace bulkscore {
namespace {

using detail::SteadyClock;

}  // namespace

TEST_CASE("Progress: phases have their stored names", "[progress]") {
    CHECK(to_string(ProgressPhase::kStarted) == "started");
    CHECK(to_string(ProgressPhase::kRunning) == "running");
    CHECK(to_string(ProgressPhase::kRetrying) == "retrying");
    CHECK(to_string(ProgressPhase::kFinished) == "finished");
    CHECK(to_string(ProgressPhase::kCancelled) == "cancelled");
    CHECK(to_string(ProgressPhase::kFailed) == "failed");
}

TEST_CASE("Progress: an event is one line of JSON with every field", "[progress]") {
    ProgressEvent event;
    event.phase = ProgressPhase::kRunning;
    event.total = 3;
    event.done = 2;
    event.scored = 1;
    event.rejected = 1;
    event.committed = 1;
    event.percent = 200.0 / 3;
    event.rate = 1234.56;
    event.eta_s = 0.81;
    event.elapsed_s = 12.3456;
    event.retries = 4;

    const std::string line = to_json(event);

    CHECK(line.find('\n') == std::string::npos);
    const boost::json::object parsed = boost::json::parse(line).as_object();
    CHECK(parsed.size() == 11);
    CHECK(parsed.at("phase").as_string() == "running");
    CHECK(parsed.at("total").to_number<int>() == 3);
    CHECK(parsed.at("done").to_number<int>() == 2);
    CHECK(parsed.at("scored").to_number<int>() == 1);
    CHECK(parsed.at("rejected").to_number<int>() == 1);
    CHECK(parsed.at("committed").to_number<int>() == 1);
    CHECK(parsed.at("percent").to_number<double>() == Approx(66.66));
    CHECK(parsed.at("rate").to_number<double>() == Approx(1234.5));
    CHECK(parsed.at("eta_s").to_number<double>() == Approx(0.8));
    CHECK(parsed.at("elapsed_s").to_number<double>() == Approx(12.345));
    CHECK(parsed.at("retries").to_number<int>() == 4);
}

TEST_CASE("Progress: a percent just under 100 never prints as 100", "[progress]") {
    ProgressEvent event;
    event.percent = 99.9999;
    CHECK(to_json(event).find("\"percent\":99.99,") != std::string::npos);
    event.percent = 100;
    CHECK(to_json(event).find("\"percent\":100,") != std::string::npos);
}

TEST_CASE("Progress: the rate follows a steady pace and then a change of pace", "[progress]") {
    detail::RateWindow window(5s);
    const auto start = SteadyClock::time_point() + 1h;
    std::uint64_t count = 0;
    window.add(start, count);
    CHECK(window.rate() == 0);                 // One sample: no rate yet.
    for (int step = 1; step <= 100; ++step) {  // 10 s at 10,000 per second.
        count += 1000;
        window.add(start + step * 100ms, count);
    }
    CHECK(window.rate() == Approx(10000).epsilon(0.01));
    for (int step = 101; step <= 160; ++step) {  // 6 s at 2,000 per second.
        count += 200;
        window.add(start + step * 100ms, count);
    }
    CHECK(window.rate() == Approx(2000).epsilon(0.05));
}

TEST_CASE("Progress: the rate is measured between samples, however often they come", "[progress]") {
    detail::RateWindow window(5s);
    const auto start = SteadyClock::time_point() + 1h;
    for (int step = 0; step <= 3000; ++step) {  // Every millisecond, 3 s, 50 per ms.
        window.add(start + step * 1ms, static_cast<std::uint64_t>(step) * 50);
    }
    CHECK(window.rate() == Approx(50000).epsilon(0.01));
    window.reset();
    CHECK(window.rate() == 0);
}

TEST_CASE("Progress: the ETA is the work left at the rate, or 0 when unknown", "[progress]") {
    CHECK(detail::eta_seconds(1000, 400, 100) == Approx(6));
    CHECK(detail::eta_seconds(0, 400, 100) == 0);      // Total unknown.
    CHECK(detail::eta_seconds(1000, 400, 0) == 0);     // No rate yet.
    CHECK(detail::eta_seconds(1000, 1000, 100) == 0);  // Done.
}

TEST_CASE("Progress: the warning limiter lets one through per interval and counts the rest",
          "[progress]") {
    detail::RateLimiter limiter(10s);
    const auto start = SteadyClock::time_point() + 1h;
    CHECK(limiter.allow(start));
    CHECK_FALSE(limiter.allow(start + 1s));
    CHECK_FALSE(limiter.allow(start + 9s));
    CHECK(limiter.suppressed() == 2);
    CHECK(limiter.allow(start + 10s));
    CHECK(limiter.suppressed() == 0);
}

}  // namespace bulkscore
