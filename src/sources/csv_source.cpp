// SPDX-License-Identifier: MIT
//
// The native CSV source (`--format csv`): a header naming SCORING.md's fields, in any order, then
// one page per record. Unknown columns are ignored; a record shorter than the header reads as empty
// in the missing columns and a longer one has its extra fields ignored. A file whose header has
// more `;` than `,` is read as `;`-separated with decimal commas, as a spreadsheet in a European
// locale saves it.
//
// Thread safety: none; one thread at a time, as `NodeSource` requires.

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sources/csv_reader.hpp"
#include "sources/record_assembler.hpp"
#include "sources/source_factories.hpp"

namespace bulkscore::detail {
namespace {

constexpr std::array kRequiredFields = {Field::kId, Field::kImpressions, Field::kClicks};

// Columns by exact (trimmed) native name; the first of duplicated columns wins.
std::vector<ColumnBinding> bind_native_columns(const std::vector<std::string>& names) {
    std::vector<ColumnBinding> bindings;
    std::array<bool, kFieldCount> bound{};
    for (std::size_t column = 0; column < names.size(); ++column) {
        for (std::size_t index = 0; index < kFieldCount; ++index) {
            const auto field = static_cast<Field>(index);
            if (!bound[index] && names[column] == field_name(field)) {
                bound[index] = true;
                bindings.push_back({column, field, names[column]});
            }
        }
    }
    return bindings;
}

class NativeCsvSource final : public CsvFileSource {
public:
    NativeCsvSource(std::unique_ptr<CsvReader> reader, CsvHeader header, char separator)
        : CsvFileSource(std::move(reader), std::move(header)),
          bindings_(bind_native_columns(this->header().names)),
          style_(separator == ';' ? DecimalStyle::kComma : DecimalStyle::kPoint) {}

private:
    void convert_record(std::span<const std::string_view> fields,
                        std::uint64_t ordinal,
                        std::uint64_t line,
                        NodeBatch& batch) override {
        record_.reset(ordinal, line);
        bind_columns(bindings_, fields, record_);
        assemble_record(record_, style_, batch);
    }

    std::vector<ColumnBinding> bindings_;
    DecimalStyle style_;
    RecordInput record_;
};

}  // namespace

Result<std::unique_ptr<NodeSource>> open_csv_source(const SourceOptions& options) {
    Result<std::unique_ptr<CsvReader>> reader = open_guessing_separator(options);
    if (!reader.ok()) {
        return reader.status();
    }
    Result<CsvHeader> header = read_header(**reader, /*allow_title_line=*/false);
    if (!header.ok()) {
        return header.status();
    }

    const std::vector<ColumnBinding> bindings = bind_native_columns(header->names);
    std::vector<std::string_view> missing;
    for (const Field required : kRequiredFields) {
        const bool found = std::any_of(bindings.begin(), bindings.end(),
                                       [&](const ColumnBinding& b) { return b.field == required; });
        if (!found) {
            missing.push_back(field_name(required));
        }
    }
    if (!missing.empty()) {
        return invalid_argument_error(
            fmt::format("{}: line {}: the header lacks the required column{} {}; a "
                        "native CSV names its "
                        "columns id, url, impressions, clicks, position, "
                        "search_volume, difficulty, "
                        "prev_clicks, word_count, inlinks, days_since_update (id, "
                        "impressions and clicks "
                        "required). For a Search Console export use --format gsc, "
                        "for a Screaming Frog "
                        "crawl --format sf",
                        (*reader)->path_text(), header->line, missing.size() > 1 ? "s" : "",
                        fmt::join(missing, ", ")));
    }
    // Limitation: with decimal commas a point still reads as a decimal point, so thousands
    // separators (`1.234` or `1 234`) are not understood; `1.234` reads as 1.234.
    const char separator = (*reader)->separator();
    return std::unique_ptr<NodeSource>(
        new NativeCsvSource(std::move(*reader), std::move(*header), separator));
}

}  // namespace bulkscore::detail
