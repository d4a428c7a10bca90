// SPDX-License-Identifier: MIT
//
// The fixed parts of the HTML report page: its style sheet and the script that sorts and
// filters the table of best pages (and, with `?selftest=1` in the address, checks itself and
// writes the outcome into the page for the browser test). Both are inlined into every report,
// so the page needs no network and no other file.
//
// Thread safety: constants.

#pragma once

namespace bulkscore::detail {

/// The report's CSS.
extern const char* const kReportCss;

/// Installed before everything else: records uncaught errors and `console.error` calls in
/// `window.reportErrors`, so the self-check can report them.
extern const char* const kReportErrorTrap;

/// The table script. Reads the JSON of `<script id="report-data">`: `actions` (code, label,
/// colour), `components` (names), `rows` (`[id, url, score, potential_clicks, action index,
/// nine components, [[component index, points], ...]]`).
extern const char* const kReportScript;

}  // namespace bulkscore::detail
