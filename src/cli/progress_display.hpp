// SPDX-License-Identifier: MIT
//
// The renderers of `bulkscore score --progress`: `json` (one JSON object per event on stdout),
// `bar` (a live single-line bar on stderr, redrawn at most ten times a second) and, for `auto`
// when stderr is not a terminal, a plain progress line on stderr every five seconds. The summary
// line after the run is `score`'s, not the display's.
//
// What a line says and when a line is due are pure functions of their inputs (`render_bar`,
// `render_log_line`, `RedrawThrottle`), so tests check them with made-up events and clocks; the
// display classes only add the terminal.
//
// Thread safety: `show` is called from the engine's committer thread, one event at a time
// (DESIGN.md); `finish` after the run, from the thread that ran it. Renderers only format a
// line and write it, so they never hold the committer up for long. The free functions are
// safe from any thread.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bulkscore/progress.hpp"

namespace bulkscore::cli {

class ProgressDisplay {
public:
    ProgressDisplay() = default;
    ProgressDisplay(const ProgressDisplay&) = delete;
    ProgressDisplay& operator=(const ProgressDisplay&) = delete;
    virtual ~ProgressDisplay() = default;

    /// Renders one event (or decides it is too soon to redraw).
    virtual void show(const ProgressEvent& event) = 0;

    /// Ends the display: a live bar draws its last state and moves to a fresh line, so that
    /// whatever is printed next starts at column 0.
    virtual void finish() {}
};

/// The display for a `--progress` value: `auto`, `bar`, `json` or `none`. `auto` is `bar` when
/// stderr is a terminal and the periodic log line otherwise. Returns null for an unknown mode.
std::unique_ptr<ProgressDisplay> make_progress_display(std::string_view mode);

/// `1234567` as `"1,234,567"`.
std::string group_thousands(std::uint64_t value);

/// A duration for people: `"4.2 s"`, `"42 s"`, `"3 min 05 s"`, `"2 h 07 min"`; `"?"` for a
/// negative or non-finite value.
std::string format_duration(double seconds);

/// The live bar's line for `event` on a terminal `columns` wide:
///
///     [#########-----------]  45.2%  452,000/1,000,000  812,400/s  ETA 0.7 s  rejected 12
///
/// Percent, counts (`done/total`, or `done records` when the total is unknown), rate, ETA (or
/// `done in` once finished), rejections, retries and the phase when it is not a plain run. The
/// line is at most `columns - 1` characters (the last column stays free, so that terminals do
/// not wrap): the bar graphic takes what the text leaves, up to 30 columns, and on a narrow
/// terminal the graphic goes first, then zero retries, the rate and the counts.
std::string render_bar(const ProgressEvent& event, std::size_t columns);

/// The plain line written every few seconds when stderr is not a terminal, without a line end:
/// `"bulkscore: 45.2% (452,000 of 1,000,000) at 812,400/s, about 1 min 05 s left, 12 rejected,
/// 3 retries"`.
std::string render_log_line(const ProgressEvent& event);

/// Decides when a display redraws: at most once per `interval`, and always for a final phase
/// (finished, cancelled, failed). With `skip_first`, the first event only starts the clock, so
/// a run shorter than one interval prints nothing.
///
/// Thread safety: none; one per display. Time is passed in, so tests use made-up clocks.
class RedrawThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit RedrawThrottle(Clock::duration interval, bool skip_first = false) noexcept
        : interval_(interval), skip_first_(skip_first) {}

    /// Whether an event of `phase` arriving at `now` is drawn; a yes restarts the interval.
    bool due(ProgressPhase phase, Clock::time_point now) noexcept;

private:
    Clock::duration interval_;
    bool skip_first_;
    bool started_ = false;
    Clock::time_point last_{};
};

/// Redraw intervals of the live bar (at most ten frames a second) and of the log line.
inline constexpr auto kBarRedrawInterval = std::chrono::milliseconds(100);
inline constexpr auto kLogLineInterval = std::chrono::seconds(5);

}  // namespace bulkscore::cli
