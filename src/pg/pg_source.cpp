// SPDX-License-Identifier: MIT
//
// The PostgreSQL query source (see pg_source.hpp): a cursor declared in a read-only
// REPEATABLE READ transaction, one FETCH per batch, rows handed to the record assembler that
// every source shares.
//
// Thread safety: one thread at a time (the engine's reader).

#include "bulkscore/pg_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "pg/pg_connection.hpp"
#include "sources/record_assembler.hpp"

namespace bulkscore {
namespace {

using detail::PgConnection;
using detail::PgResult;

constexpr const char* kCursor = "bulkscore_source";

// The query without trailing spaces and semicolons, which would end the DECLARE early.
std::string statement_of(std::string_view query) {
    while (!query.empty() &&
           (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back())))) {
        query.remove_suffix(1);
    }
    return std::string(query);
}

// A failure of the user's SQL is theirs to fix; transient and permission failures keep their
// code.
Status query_error(Status status) {
    if (status.code() != StatusCode::kInternal) {
        return status;
    }
    return invalid_argument_error(
        fmt::format("{}; fix the query (it must be one SELECT statement)", status.message()));
}

class PgQuerySource final : public NodeSource {
public:
    PgQuerySource(PgConnection connection, std::string query)
        : connection_(std::move(connection)),
          query_(std::move(query)),
          description_("PostgreSQL query on " + connection_.where()) {
        columns_.fill(-1);
    }

    Status open() {
        BULKSCORE_RETURN_IF_ERROR(connection_.exec(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "beginning the read"));
        BULKSCORE_RETURN_IF_ERROR(declare());
        return map_columns();
    }

    Status read(NodeBatch& batch, std::size_t max_records) override {
        batch.clear();
        batch.first_ordinal = ordinal_;
        if (!exhausted_) {
            const std::string fetch = fmt::format("FETCH FORWARD {} FROM {}", max_records, kCursor);
            auto rows = connection_.query(fetch.c_str(), {}, "reading the query's rows");
            if (!rows.ok()) {
                return rows.status();
            }
            const int count = PQntuples(rows->get());
            for (int row = 0; row < count; ++row) {
                assemble_row(rows->get(), row, batch);
            }
            batch.record_count = static_cast<std::uint64_t>(count);
            exhausted_ = static_cast<std::size_t>(count) < max_records;
        }
        batch.end = position();
        return ok_status();
    }

    Result<std::uint64_t> count_records() override {
        if (count_) {
            return *count_;
        }
        // The transaction's snapshot: the count matches the rows the cursor returns.
        const std::string sql =
            fmt::format("SELECT count(*) FROM ({}) AS bulkscore_counted", query_);
        auto result = connection_.query(sql.c_str(), {}, "counting the query's rows");
        if (!result.ok()) {
            return query_error(result.status());
        }
        std::uint64_t count = 0;
        const char* text = PQgetvalue(result->get(), 0, 0);
        std::from_chars(text, text + PQgetlength(result->get(), 0, 0), count);
        count_ = count;
        return count;
    }

    SourcePosition position() const noexcept override { return {ordinal_, 0, 0}; }

    Status seek(const SourcePosition& position) override {
        const std::string close = fmt::format("CLOSE {}", kCursor);
        BULKSCORE_RETURN_IF_ERROR(connection_.exec(close.c_str(), "reopening the query"));
        BULKSCORE_RETURN_IF_ERROR(declare());
        ordinal_ = 0;
        exhausted_ = false;
        if (position.ordinal == 0) {
            return ok_status();
        }
        const std::string move = fmt::format("MOVE FORWARD {} FROM {}", position.ordinal, kCursor);
        auto moved = connection_.query(move.c_str(), {}, "skipping to the resume position");
        if (!moved.ok()) {
            return moved.status();
        }
        std::uint64_t skipped = 0;
        const std::string_view tag = PQcmdStatus(moved->get());  // "MOVE <count>"
        const std::string_view number = tag.substr(std::min(tag.size(), std::size_t{5}));
        std::from_chars(number.data(), number.data() + number.size(), skipped);
        if (skipped != position.ordinal) {
            return failed_precondition_error(fmt::format(
                "{}: the query now returns {} rows, fewer than the {} of the checkpoint; the data "
                "changed since the job began, start it over with --restart",
                description_, skipped, position.ordinal));
        }
        ordinal_ = position.ordinal;
        return ok_status();
    }

    std::string_view description() const noexcept override { return description_; }

private:
    Status declare() {
        const std::string declare =
            fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", kCursor, query_);
        return query_error(connection_.exec(declare.c_str(), "running the query"));
    }

    // Which result column feeds which field, by the native column names.
    Status map_columns() {
        const PgResult described(PQdescribePortal(connection_.get(), kCursor));
        if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
            return connection_.error(described.get(), "describing the query's columns");
        }
        for (int column = 0; column < PQnfields(described.get()); ++column) {
            const std::string_view name = PQfname(described.get(), column);
            for (std::size_t field = 0; field < kFieldCount; ++field) {
                if (field_name(static_cast<Field>(field)) == name) {
                    columns_[field] = column;
                }
            }
        }
        if (columns_[static_cast<std::size_t>(Field::kId)] < 0) {
            return invalid_argument_error(fmt::format(
                "{}: the query returns no column named id; select the page's key AS id (and "
                "the metrics under their native names: impressions, clicks, position, ...)",
                description_));
        }
        return ok_status();
    }

    void assemble_row(const PGresult* rows, int row, NodeBatch& batch) {
        record_.reset(ordinal_, 0);
        for (std::size_t field = 0; field < kFieldCount; ++field) {
            const int column = columns_[field];
            if (column < 0) {
                continue;
            }
            const std::string_view text =
                PQgetisnull(rows, row, column)
                    ? std::string_view()
                    : std::string_view(PQgetvalue(rows, row, column),
                                       static_cast<std::size_t>(PQgetlength(rows, row, column)));
            record_[static_cast<Field>(field)] =
                detail::FieldInput::from_text(text, field_name(static_cast<Field>(field)));
        }
        detail::assemble_record(record_, detail::DecimalStyle::kPoint, batch);
        ++ordinal_;
    }

    PgConnection connection_;
    std::string query_;
    std::string description_;
    std::array<int, kFieldCount> columns_{};  // Result column per field, -1 when absent.
    detail::RecordInput record_;              // Reused for every row.
    std::uint64_t ordinal_ = 0;
    bool exhausted_ = false;
    std::optional<std::uint64_t> count_;
};

}  // namespace

Result<std::unique_ptr<NodeSource>> open_pg_source(const PgSourceOptions& options) {
    std::string query = statement_of(options.query);
    if (query.empty()) {
        return invalid_argument_error(
            "the PostgreSQL source has no query; give it a SELECT statement");
    }
    auto connection = PgConnection::open(options.url, options.connect_timeout);
    if (!connection.ok()) {
        return connection.status();
    }
    auto source = std::make_unique<PgQuerySource>(std::move(connection).value(), std::move(query));
    BULKSCORE_RETURN_IF_ERROR(source->open());
    return std::unique_ptr<NodeSource>(std::move(source));
}

}  // namespace bulkscore
