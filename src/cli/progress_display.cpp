// SPDX-License-Identifier: MIT
//
// The `--progress` renderers: the line formats, the redraw throttle, and the displays that
// write them to a terminal, a log or a pipe.

#include "cli/progress_display.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

namespace bulkscore::cli {
namespace {

constexpr std::size_t kMaxBarGraphic = 30;
constexpr std::size_t kMinBarGraphic = 10;
constexpr std::string_view kGap = "  ";
// Drop orders of the bar's pieces: counts, rate, then the counters while they are zero.
constexpr int kCounts = 1;
constexpr int kRate = 2;
constexpr int kZeroCounter = 3;

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

std::uint64_t rounded(double value) {
    return value > 0 && std::isfinite(value) ? static_cast<std::uint64_t>(std::llround(value)) : 0;
}

// Rounded down to one decimal, so that 99.96 % reads 99.9 % and only a finished run shows 100.
double percent_shown(double percent) {
    const double clamped = std::isfinite(percent) ? std::clamp(percent, 0.0, 100.0) : 0.0;
    return std::floor(clamped * 10.0) / 10.0;
}

// A piece of the bar's text; `drop_order` 0 is never dropped, higher ones go first when the
// terminal is too narrow.
struct Piece {
    std::string text;
    int drop_order = 0;
};

std::vector<Piece> bar_pieces(const ProgressEvent& event) {
    std::vector<Piece> pieces;
    if (event.total > 0) {
        pieces.push_back({fmt::format("{:5.1f}%", percent_shown(event.percent)), 0});
        pieces.push_back(
            {fmt::format("{}/{}", group_thousands(event.done), group_thousands(event.total)),
             kCounts});
    } else {
        pieces.push_back({fmt::format("{} records", group_thousands(event.done)), 0});
    }
    if (event.rate > 0) {
        pieces.push_back({fmt::format("{}/s", group_thousands(rounded(event.rate))), kRate});
    }
    if (event.phase == ProgressPhase::kFinished) {
        pieces.push_back({fmt::format("done in {}", format_duration(event.elapsed_s)), 0});
    } else if (event.eta_s > 0 && !is_final(event.phase)) {
        pieces.push_back({fmt::format("ETA {}", format_duration(event.eta_s)), 0});
    }
    pieces.push_back({fmt::format("rejected {}", group_thousands(event.rejected)),
                      event.rejected > 0 ? 0 : kZeroCounter});
    pieces.push_back({fmt::format("retries {}", group_thousands(event.retries)),
                      event.retries > 0 ? 0 : kZeroCounter + 1});
    if (event.phase == ProgressPhase::kRetrying || event.phase == ProgressPhase::kCancelled ||
        event.phase == ProgressPhase::kFailed) {
        pieces.push_back({fmt::format("({})", to_string(event.phase)), 0});
    }
    return pieces;
}

std::string join(const std::vector<Piece>& pieces) {
    std::string text;
    for (const Piece& piece : pieces) {
        if (!text.empty()) {
            text += kGap;
        }
        text += piece.text;
    }
    return text;
}

// Removes the piece that goes first on a narrow terminal, if its `drop_order` is at least
// `least`; false when none is.
bool drop_one(std::vector<Piece>& pieces, int least) {
    const auto victim = std::max_element(
        pieces.begin(), pieces.end(),
        [](const Piece& a, const Piece& b) { return a.drop_order < b.drop_order; });
    if (victim == pieces.end() || victim->drop_order < least) {
        return false;
    }
    pieces.erase(victim);
    return true;
}

std::string graphic(double percent, std::size_t width) {
    const auto filled = std::min(width, static_cast<std::size_t>(percent_shown(percent) / 100.0 *
                                                                 static_cast<double>(width)));
    return fmt::format("[{}{}]", std::string(filled, '#'), std::string(width - filled, '-'));
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

// Limitation: a library warning logged while the bar is on screen lands after the bar's text on
// the same terminal line (the logger and the bar share stderr without knowing of each other);
// the next frame starts on the warning's line. Warnings are rare and rate-limited, so the bar
// does not coordinate with the logger.
class BarDisplay final : public ProgressDisplay {
public:
    void show(const ProgressEvent& event) override {
        last_ = event;
        pending_ = true;
        if (throttle_.due(event.phase, RedrawThrottle::Clock::now())) {
            draw();
        }
    }

    void finish() override {
        if (pending_) {
            draw();
        }
        if (drawn_) {
            std::fputc('\n', stderr);
            std::fflush(stderr);
        }
    }

private:
    void draw() {
        // Carriage return, the line, and "erase to the end of the line" for a shorter redraw.
        fmt::print(stderr, "\r{}\x1b[K", render_bar(last_, terminal_columns()));
        std::fflush(stderr);
        drawn_ = true;
        pending_ = false;
    }

    RedrawThrottle throttle_{kBarRedrawInterval};
    ProgressEvent last_;
    bool pending_ = false;  // An event arrived since the last draw.
    bool drawn_ = false;
};

// For a non-terminal stderr (a log file, CI): one plain line every few seconds while the run
// goes on. The start and the end are said by `score` itself.
class LogLineDisplay final : public ProgressDisplay {
public:
    void show(const ProgressEvent& event) override {
        if (event.phase != ProgressPhase::kRunning && event.phase != ProgressPhase::kRetrying) {
            return;
        }
        if (!throttle_.due(event.phase, RedrawThrottle::Clock::now())) {
            return;
        }
        std::string line = render_log_line(event);
        line.push_back('\n');
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
    }

private:
    RedrawThrottle throttle_{kLogLineInterval, /*skip_first=*/true};
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

std::string render_bar(const ProgressEvent& event, std::size_t columns) {
    const std::size_t limit = columns > 1 ? columns - 1 : 0;
    std::vector<Piece> pieces = bar_pieces(event);
    std::string text = join(pieces);
    // Zero counters give way to the graphic; everything else outranks it.
    while (event.total > 0) {
        const std::size_t frame = kGap.size() + 2;  // The brackets and the gap after them.
        if (text.size() + frame + kMinBarGraphic <= limit) {
            const std::size_t width = std::min(kMaxBarGraphic, limit - text.size() - frame);
            return graphic(event.percent, width) + std::string(kGap) + text;
        }
        if (!drop_one(pieces, kZeroCounter)) {
            break;
        }
        text = join(pieces);
    }
    while (text.size() > limit && drop_one(pieces, kCounts)) {
        text = join(pieces);
    }
    if (text.size() > limit) {
        text.resize(limit);
    }
    return text;
}

std::string render_log_line(const ProgressEvent& event) {
    std::string line =
        event.total > 0 ? fmt::format("bulkscore: {:.1f}% ({} of {})", percent_shown(event.percent),
                                      group_thousands(event.done), group_thousands(event.total))
                        : fmt::format("bulkscore: {} records", group_thousands(event.done));
    auto out = std::back_inserter(line);
    if (event.rate > 0) {
        fmt::format_to(out, " at {}/s", group_thousands(rounded(event.rate)));
    }
    if (event.eta_s > 0 && !is_final(event.phase)) {
        fmt::format_to(out, ", about {} left", format_duration(event.eta_s));
    }
    fmt::format_to(out, ", {} rejected", group_thousands(event.rejected));
    if (event.retries > 0) {
        fmt::format_to(out, ", {} retries", group_thousands(event.retries));
    }
    if (event.phase == ProgressPhase::kRetrying) {
        line += " (retrying)";
    }
    return line;
}

bool RedrawThrottle::due(ProgressPhase phase, Clock::time_point now) noexcept {
    if (!started_) {
        started_ = true;
        last_ = now;
        return !skip_first_ || is_final(phase);
    }
    if (!is_final(phase) && now - last_ < interval_) {
        return false;
    }
    last_ = now;
    return true;
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
