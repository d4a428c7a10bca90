// SPDX-License-Identifier: MIT
//
// The Search Console export source (`--format gsc`): the "Pages" or "Queries" table of the
// Performance report as the web interface downloads it, `Top pages,Clicks,Impressions,CTR,
// Position`, in any interface language. The first column is the id whatever its name; the
// metric columns are found by name in a table of translations, or by Search Console's fixed
// order when a five-column header is in a language the table lacks. A `;`-separated export
// (European spreadsheets) writes decimal commas (`3,5`, `3,53 %`).
//
// CTR is checked to be a number when present but not used: the score derives it from clicks and
// impressions.
//
// Thread safety: none; one thread at a time, as `NodeSource` requires.

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"

#include "sources/csv_reader.hpp"
#include "sources/record_assembler.hpp"
#include "sources/source_factories.hpp"

namespace bulkscore::detail {
namespace {

// Column names of the metrics as Search Console writes them, in lower case, per interface
// language: English, French, German, Spanish, Italian, Dutch, Portuguese, Polish, Swedish,
// Danish and Norwegian, plus the longer labels some versions use.
constexpr std::string_view kClicksNames[] = {
    "clicks",     "clics", "klicks", "clic",  "aantal klikken", "klikken",      "cliques",
    "kliknięcia", "klick", "klik",   "klikk", "clicks totali",  "total clicks", "cliques totais"};
constexpr std::string_view kImpressionsNames[] = {
    "impressions", "impressionen",      "impresiones",       "impressioni",
    "vertoningen", "impressões",        "wyświetlenia",      "visningar",
    "visninger",   "total impressions", "impressões totais", "impressioni totali"};
constexpr std::string_view kCtrNames[] = {"ctr",
                                          "taux de clics",
                                          "klickrate",
                                          "tasa de clics",
                                          "percentuale di clic",
                                          "taxa de cliques",
                                          "współczynnik klikalności",
                                          "average ctr",
                                          "ctr medio"};
constexpr std::string_view kPositionNames[] = {"position",
                                               "posición",
                                               "posizione",
                                               "positie",
                                               "posição",
                                               "pozycja",
                                               "placering",
                                               "posisjon",
                                               "average position",
                                               "position moyenne",
                                               "durchschnittliche position",
                                               "posición media",
                                               "posizione media",
                                               "gemiddelde positie",
                                               "posição média",
                                               "średnia pozycja",
                                               "genomsnittlig position",
                                               "gennemsnitlig placering"};

// Limitation: names are compared after ASCII lower-casing only, so a header in an unusual
// case with non-ASCII letters (`POSICIÓN`) is not recognised; the five-column fallback usually
// still reads it.
//
// Search Console's own order: dimension, clicks, impressions, CTR, position.
constexpr std::size_t kFixedColumnCount = 5;

bool is_one_of(std::string_view name, std::span<const std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

struct GscColumns {
    std::optional<std::size_t> clicks;
    std::optional<std::size_t> impressions;
    std::optional<std::size_t> ctr;
    std::optional<std::size_t> position;

    bool complete() const { return clicks && impressions && position; }
};

GscColumns find_columns(const std::vector<std::string>& names) {
    GscColumns columns;
    // Column 0 is the dimension (the id), whatever it is called.
    for (std::size_t column = 1; column < names.size(); ++column) {
        const std::string name = normalise_column_name(names[column]);
        if (!columns.clicks && is_one_of(name, kClicksNames)) {
            columns.clicks = column;
        } else if (!columns.impressions && is_one_of(name, kImpressionsNames)) {
            columns.impressions = column;
        } else if (!columns.ctr && is_one_of(name, kCtrNames)) {
            columns.ctr = column;
        } else if (!columns.position && is_one_of(name, kPositionNames)) {
            columns.position = column;
        }
    }
    return columns;
}

class GscSource final : public CsvFileSource {
public:
    GscSource(std::unique_ptr<CsvReader> reader,
              CsvHeader header,
              const GscColumns& columns,
              DecimalStyle style)
        : CsvFileSource(std::move(reader), std::move(header)),
          style_(style),
          ctr_column_(columns.ctr) {
        const std::vector<std::string>& names = this->header().names;
        bindings_ = {
            ColumnBinding{0, Field::kId, names[0]},
            ColumnBinding{*columns.clicks, Field::kClicks, names[*columns.clicks]},
            ColumnBinding{*columns.impressions, Field::kImpressions, names[*columns.impressions]},
            ColumnBinding{*columns.position, Field::kPosition, names[*columns.position]}};
        if (ctr_column_) {
            ctr_name_ = names[*ctr_column_];
        }
    }

private:
    void convert_record(std::span<const std::string_view> fields,
                        std::uint64_t ordinal,
                        std::uint64_t line,
                        NodeBatch& batch) override {
        record_.reset(ordinal, line);
        bind_columns(bindings_, fields, record_);
        const std::size_t nodes_before = batch.nodes.size();
        assemble_record(record_, style_, batch);
        if (ctr_column_ && *ctr_column_ < fields.size()) {
            reject_bad_ctr(fields[*ctr_column_], ctr_name_, record_, nodes_before, style_, batch);
        }
    }

    DecimalStyle style_;
    std::optional<std::size_t> ctr_column_;
    std::string_view ctr_name_;
    std::array<ColumnBinding, 4> bindings_;
    RecordInput record_;
};

}  // namespace

Result<std::unique_ptr<NodeSource>> open_gsc_source(const SourceOptions& options) {
    Result<std::unique_ptr<CsvReader>> reader = open_guessing_separator(options);
    if (!reader.ok()) {
        return reader.status();
    }
    Result<CsvHeader> header = read_header(**reader, /*allow_title_line=*/false);
    if (!header.ok()) {
        return header.status();
    }

    GscColumns columns = find_columns(header->names);
    if (!columns.complete()) {
        if (header->names.size() != kFixedColumnCount) {
            std::vector<std::string_view> missing;
            if (!columns.clicks) {
                missing.push_back("clicks");
            }
            if (!columns.impressions) {
                missing.push_back("impressions");
            }
            if (!columns.position) {
                missing.push_back("position");
            }
            return invalid_argument_error(fmt::format(
                "{}: line {}: no {} column in the header; a Search Console export reads `Top "
                "pages,Clicks,Impressions,CTR,Position` (or the same in its interface language). "
                "For a native CSV use --format csv, for a Screaming Frog crawl --format sf",
                (*reader)->path_text(), header->line, fmt::join(missing, ", ")));
        }
        // Five unrecognised names: most likely a language missing from the table.
        logger()->warn(
            "search console header not recognised, reading its columns in Search Console's "
            "order (page, clicks, impressions, ctr, position) file={} header=\"{}\"",
            (*reader)->path_text(), fmt::join(header->names, ","));
        columns = GscColumns{1, 2, 3, 4};
    }

    // Limitation: as for native CSV, thousands separators are not understood in either style;
    // Search Console writes none.
    const DecimalStyle style =
        (*reader)->separator() == ';' ? DecimalStyle::kComma : DecimalStyle::kPoint;
    return std::unique_ptr<NodeSource>(
        new GscSource(std::move(*reader), std::move(*header), columns, style));
}

}  // namespace bulkscore::detail
