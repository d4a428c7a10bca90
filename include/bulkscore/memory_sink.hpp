// SPDX-License-Identifier: MIT
//
// `MemorySink`: a `ResultSink` that keeps results and rejections in memory, as copies, for
// tests and for hosts that want the scores as values (e.g. to rank them themselves).
//
// It follows the sink contract exactly, so it also checks the engine: `write` appends to a log,
// `flush` returns the log's lengths as the sink state, and `restore` truncates the log back to
// a state (or empties it), as a file sink does. Rows are read back keyed by id, the later
// record winning; the full log is available too, to check that every record was written
// exactly once.
//
// Memory: one copy of every record written (ids and urls included); meant for inputs that fit
// in memory. Thread safety: every member may be called from any thread (an internal lock).

#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bulkscore/result_sink.hpp"
#include "bulkscore/score_result.hpp"

namespace bulkscore {

/// A `ScoreResult` that owns its text.
struct ScoreRow {
    std::string id;
    std::string url;
    double score = 0;
    double potential_clicks = 0;
    Action action = Action::kMonitor;
    Components components;
    std::string scorer_version;
    std::uint64_t ordinal = 0;

    static ScoreRow from(const ScoreResult& result);

    /// Every field equal, doubles compared exactly (the same inputs score bit for bit alike).
    friend bool operator==(const ScoreRow& a, const ScoreRow& b) noexcept;
};

/// A `Rejection` that owns its text, with its rendered message.
struct RejectionRow {
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;
    std::string id;
    std::string field;
    RejectReason reason = RejectReason::kBadNumber;
    std::string value;
    std::string message;

    static RejectionRow from(const Rejection& rejection);
    friend bool operator==(const RejectionRow&, const RejectionRow&) = default;
};

class MemorySink final : public ResultSink {
public:
    MemorySink() = default;

    /// Copies the batch's results and rejections into the log. Never fails.
    Status write(const ScoredBatch& batch) override;

    /// Returns the log's lengths (`"results=R rejections=J"`). Never fails.
    Result<std::string> flush() override;

    /// Truncates the log to a state `flush` returned; an empty state empties it.
    /// Errors: `invalid_argument` for a state this sink did not produce, `data_loss` for one
    /// longer than the log (the log lost records it had made durable).
    Status restore(std::string_view sink_state) override;

    /// One row per id, the later record winning, ordered by that record's ordinal.
    std::vector<ScoreRow> rows() const;

    /// The row of `id`, the later record winning.
    std::optional<ScoreRow> find(std::string_view id) const;

    /// Every result in the log, in write order (duplicate ids included).
    std::vector<ScoreRow> results() const;

    /// Every rejection in the log, in write order.
    std::vector<RejectionRow> rejections() const;

    /// Records in the log: results and rejections written and not rolled back.
    std::size_t result_count() const;
    std::size_t rejection_count() const;

    /// Successful `write` and `flush` calls so far (restores do not reset them).
    std::size_t write_count() const;
    std::size_t flush_count() const;

private:
    void rebuild_index();

    mutable std::mutex mutex_;
    std::vector<ScoreRow> results_;
    std::vector<RejectionRow> rejections_;
    std::unordered_map<std::string, std::size_t> latest_;  // id -> index in `results_`.
    std::size_t writes_ = 0;
    std::size_t flushes_ = 0;
};

}  // namespace bulkscore
