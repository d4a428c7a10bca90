// SPDX-License-Identifier: MIT
//
// COPY text rendering of the PostgreSQL store's rows (see pg_rows.hpp): one row per line,
// columns separated by tabs, `\N` for NULL, backslash escapes for the separators.

#include "pg/pg_rows.hpp"

#include <cstdint>
#include <iterator>

#include <fmt/format.h>

#include "utf8.hpp"

namespace bulkscore::detail {
namespace {

void append_text(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x80) {
            const std::size_t length = utf8_sequence_length(text.substr(i));
            if (length == 0) {
                out += kUtf8Replacement;
                ++i;
            } else {
                out.append(text.data() + i, length);
                i += length;
            }
            continue;
        }
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\0':
                out += kUtf8Replacement;
                break;
            default:
                out += c;
        }
        ++i;
    }
}

void append_text_or_null(std::string& out, std::string_view text) {
    if (text.empty()) {
        out += "\\N";
    } else {
        append_text(out, text);
    }
}

// Shortest text that reads back to the same double.
void append_double(std::string& out, double value) {
    fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_unsigned(std::string& out, std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), "{}", value);
}

}  // namespace

std::string valid_pg_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = static_cast<unsigned char>(text[i]) < 0x80
                                       ? (text[i] == '\0' ? 0 : 1)
                                       : utf8_sequence_length(text.substr(i));
        if (length == 0) {
            out += kUtf8Replacement;
            ++i;
        } else {
            out.append(text.data() + i, length);
            i += length;
        }
    }
    return out;
}

// One line for `bulkscore_staged_scores`, in the column order of `kCopyScores`.
void append_pg_result_row(std::string& out, const ScoreResult& result) {
    append_text(out, result.id);
    out += '\t';
    append_text(out, result.url);
    for (double value : {result.score, result.potential_clicks}) {
        out += '\t';
        append_double(out, value);
    }
    out += '\t';
    out += to_string(result.action);
    const Components& c = result.components;
    for (double value : {c.upside, c.striking, c.ctr_gap, c.demand, c.decay, c.ease, c.staleness,
                         c.thinness, c.link_need}) {
        out += '\t';
        append_double(out, value);
    }
    out += '\t';
    append_text(out, result.scorer_version);
    out += '\t';
    append_unsigned(out, result.ordinal);
    out += '\n';
}

// One line for `bulkscore_staged_rejections`, in the column order of `kCopyRejections`.
void append_pg_rejection_row(std::string& out, const Rejection& rejection) {
    append_unsigned(out, rejection.ordinal);
    out += '\t';
    if (rejection.line == 0) {
        out += "\\N";
    } else {
        append_unsigned(out, rejection.line);
    }
    out += '\t';
    append_text_or_null(out, rejection.id);
    out += '\t';
    append_text_or_null(out, rejection.field);
    out += '\t';
    out += to_string(rejection.reason);
    out += '\t';
    append_text(out, render_message(rejection));
    out += '\n';
}

}  // namespace bulkscore::detail
