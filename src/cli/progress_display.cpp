// SPDX-License-Identifier: MIT
//
// The `--progress` renderers.

#include "cli/progress_display.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

namespace bulkscore::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kBarRedrawInterval = std::chrono::milliseconds(100);
constexpr auto kLogLineInterval = std::chrono::seconds(5);

bool is_final(ProgressPhase phase) noexcept {
    return phase == ProgressPhase::kFinished || phase == ProgressPhase::kCancelled ||
           phase == ProgressPhase::kFailed;
}

std::size_t terminal_columns() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return 80;
}

// Writes a line to stdout and flushes it, so that a reader of the pipe sees each event as it
// happens.
class JsonDisplay final : public ProgressDisplay {
public:
    void show(const ProgressEvent& event) override {
        std::string line = to_json(event);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
    }
};

class BarDisplay final : public ProgressDisplay {
public:
    void show(const ProgressEvent& event) override {
        last_ = event;
        pending_ = true;
        const auto now = Clock::now();
        if (!is_final(event.phase) && drawn_ && now - last_draw_ < kBarRedrawInterval) {
            return;
        }
        draw(now);
    }

    void finish() override {
        if (pending_) {
            draw(Clock::now());
        }
        if (drawn_) {
            std::fputc('\n', stderr);
            std::fflush(stderr);
        }
    }

private:
    void draw(Clock::time_point now) {
        const std::size_t columns = terminal_columns();
        const std::size_t bar_width = columns >= 100 ? 30 : (columns >= 70 ? 20 : 10);
        std::string line = render_bar(last_, bar_width);
        if (line.size() + 1 > columns) {
            line.resize(columns - 1);
        }
        // Carriage return, the line, and "erase to the end of the line" for a shorter redraw.
        fmt::print(stderr, "\r{}\x1b[K", line);
        std::fflush(stderr);
        drawn_ = true;
        pending_ = false;
        last_draw_ = now;
    }

    ProgressEvent last_;
    bool pending_ = false;  // An event arrived since the last draw.
    bool drawn_ = false;
    Clock::time_point last_draw_;
};

// For a non-terminal stderr (a log file, CI): one plain line every few seconds.
class LogLineDisplay final : public ProgressDisplay {
public:
    void show(const ProgressEvent& event) override {
        const auto now = Clock::now();
        if (event.phase != ProgressPhase::kRunning && event.phase != ProgressPhase::kRetrying) {
            return;
        }
        if (started_ && now - last_line_ < kLogLineInterval) {
            return;
        }
        if (!started_) {
            // The first line waits a full interval: short runs stay quiet.
            started_ = true;
            last_line_ = now;
            return;
        }
        last_line_ = now;
        std::string line =
            event.total > 0 ? fmt::format("bulkscore: {:.1f}% ({} of {})", event.percent,
                                          group_thousands(event.done), group_thousands(event.total))
                            : fmt::format("bulkscore: {} records", group_thousands(event.done));
        fmt::format_to(std::back_inserter(line), " at {}/s", group_thousands(rounded(event.rate)));
        if (event.eta_s > 0) {
            fmt::format_to(std::back_inserter(line), ", about {} left",
                           format_duration(event.eta_s));
        }
        line.push_back('\n');
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
    }

private:
    static std::uint64_t rounded(double value) {
        return value > 0 ? static_cast<std::uint64_t>(std::llround(value)) : 0;
    }

    bool started_ = false;
    Clock::time_point last_line_;
};

class NoDisplay final : public ProgressDisplay {
public:
    void show(const ProgressEvent& /*event*/) override {}
};

}  // namespace

std::string group_thousands(std::uint64_t value) {
    std::string digits = fmt::format("{}", value);
    std::string grouped;
    grouped.reserve(digits.size() + digits.size() / 3);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            grouped.push_back(',');
        }
        grouped.push_back(digits[i]);
    }
    return grouped;
}

std::string format_duration(double seconds) {
    if (!(seconds >= 0) || !std::isfinite(seconds)) {
        return "?";
    }
    if (seconds < 10) {
        return fmt::format("{:.1f} s", seconds);
    }
    const auto whole = static_cast<std::uint64_t>(std::llround(seconds));
    if (whole < 60) {
        return fmt::format("{} s", whole);
    }
    if (whole < 3600) {
        return fmt::format("{} min {:02} s", whole / 60, whole % 60);
    }
    return fmt::format("{} h {:02} min", whole / 3600, whole % 3600 / 60);
}

std::string render_bar(const ProgressEvent& event, std::size_t width) {
    const double percent = std::clamp(event.percent, 0.0, 100.0);
    std::string line;
    if (event.total > 0) {
        const auto filled = static_cast<std::size_t>(percent / 100.0 * static_cast<double>(width));
        line = fmt::format("[{}{}] {:5.1f}%  {}/{}", std::string(filled, '#'),
                           std::string(width - std::min(filled, width), '-'), percent,
                           group_thousands(event.done), group_thousands(event.total));
    } else {
        line = fmt::format("{} records", group_thousands(event.done));
    }
    const auto rate = event.rate > 0 ? static_cast<std::uint64_t>(std::llround(event.rate)) : 0;
    fmt::format_to(std::back_inserter(line), "  {}/s", group_thousands(rate));
    if (event.phase == ProgressPhase::kFinished) {
        fmt::format_to(std::back_inserter(line), "  done in {}", format_duration(event.elapsed_s));
    } else if (event.eta_s > 0) {
        fmt::format_to(std::back_inserter(line), "  ETA {}", format_duration(event.eta_s));
    }
    if (event.rejected > 0) {
        fmt::format_to(std::back_inserter(line), "  rejected {}", group_thousands(event.rejected));
    }
    if (event.retries > 0) {
        fmt::format_to(std::back_inserter(line), "  retries {}", group_thousands(event.retries));
    }
    if (event.phase == ProgressPhase::kRetrying) {
        line += "  (retrying)";
    } else if (event.phase == ProgressPhase::kCancelled) {
        line += "  (cancelled)";
    } else if (event.phase == ProgressPhase::kFailed) {
        line += "  (failed)";
    }
    return line;
}

std::unique_ptr<ProgressDisplay> make_progress_display(std::string_view mode) {
    if (mode == "json") {
        return std::make_unique<JsonDisplay>();
    }
    if (mode == "bar") {
        return std::make_unique<BarDisplay>();
    }
    if (mode == "none") {
        return std::make_unique<NoDisplay>();
    }
    if (mode == "auto") {
        if (::isatty(STDERR_FILENO) != 0) {
            return std::make_unique<BarDisplay>();
        }
        return std::make_unique<LogLineDisplay>();
    }
    return nullptr;
}

}  // namespace bulkscore::cli
