// SPDX-License-Identifier: MIT
//
// The scorer contracts the engine accepts: `Scorer`, synchronous (the `OpportunityScorer`, or a
// host's own pure function), and `AsyncScorer`, an Asio awaitable for scorers that call a remote
// service. Both report a transient failure as `unavailable` (the engine retries it with backoff)
// and any other failure as permanent (the node becomes a rejection).
//
// Thread safety: a `Scorer` is called from every worker thread at once; an `AsyncScorer`'s
// coroutines run on the engine's executor, many at once, and must not block a thread.

#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "bulkscore/node.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

class Scorer {
public:
    Scorer() = default;
    Scorer(const Scorer&) = delete;
    Scorer& operator=(const Scorer&) = delete;
    virtual ~Scorer() = default;

    /// Scores `node` into `out` (whose `id`, `url`, `ordinal` the scorer fills from `node`).
    /// Returns ok, `unavailable` for a transient failure, anything else for a permanent one.
    /// Must not throw (the engine also catches, and treats an exception as permanent).
    virtual Status score(const Node& node, ScoreResult& out) const noexcept = 0;

    /// The version stored with each result (`"opportunity-v1"`).
    virtual std::string_view version() const noexcept = 0;

    /// Identifies the scoring configuration: a resume with a different one is refused.
    virtual std::string fingerprint() const = 0;
};

class AsyncScorer {
public:
    AsyncScorer() = default;
    AsyncScorer(const AsyncScorer&) = delete;
    AsyncScorer& operator=(const AsyncScorer&) = delete;
    virtual ~AsyncScorer() = default;

    /// As `Scorer::score`, as a coroutine. `node` and `out` stay valid until it completes.
    virtual boost::asio::awaitable<Status> score(const Node& node, ScoreResult& out) = 0;

    virtual std::string_view version() const noexcept = 0;
    virtual std::string fingerprint() const = 0;
};

/// The `OpportunityScorer` as a `Scorer`. Its fingerprint is the version and the canonical JSON
/// of its configuration.
class OpportunityScoring final : public Scorer {
public:
    explicit OpportunityScoring(OpportunityScorer scorer = OpportunityScorer())
        : scorer_(std::move(scorer)) {}

    Status score(const Node& node, ScoreResult& out) const noexcept override {
        out = scorer_.score(node);
        return Status();
    }
    std::string_view version() const noexcept override { return OpportunityScorer::kVersion; }
    std::string fingerprint() const override;

    const OpportunityScorer& scorer() const noexcept { return scorer_; }

private:
    OpportunityScorer scorer_;
};

}  // namespace bulkscore
