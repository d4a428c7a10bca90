// SPDX-License-Identifier: MIT
//
// The renderers of `bulkscore score --progress`: `json` (one JSON object per event on stdout),
// `bar` (a live single-line bar on stderr, redrawn at most ten times a second) and, for `auto`
// when stderr is not a terminal, a plain progress line on stderr every few seconds.
//
// Thread safety: `show` is called from the engine's committer thread, one event at a time
// (DESIGN.md); `finish` after the run, from the thread that ran it. Renderers only format a
// line and write it, so they never hold the committer up for long.

#pragma once

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

/// A duration for people: `"42 s"`, `"3 min 05 s"`, `"2 h 07 min"`.
std::string format_duration(double seconds);

/// One bar line for `event`, `width` columns of bar; exposed for tests.
std::string render_bar(const ProgressEvent& event, std::size_t width);

}  // namespace bulkscore::cli
