// SPDX-License-Identifier: MIT
//
// The shared fuzzing harness: the per-process memfd input, and the source invariants described in
// fuzz_support.hpp, checked over three passes of one input (a first read, a re-read from the start
// with another batch size, and a resume on a fresh source).
//
// Thread safety: none; one input at a time.

#include "fuzz_support.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bulkscore/node_batch.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/rejection.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace bulkscore::fuzz {
namespace {

// Batches past which a drain is taken for a loop that never ends: far more than any input of
// the fuzzer's maximum length can hold, even one record per batch.
constexpr std::size_t kMaxBatches = 1 << 20;

// One record as delivered, enough to tell two deliveries apart.
struct Delivered {
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;
    bool accepted = false;
    std::string id;

    friend bool operator==(const Delivered&, const Delivered&) = default;
};

// Everything one pass over a source delivered.
struct Pass {
    std::vector<Delivered> records;
    std::vector<SourcePosition> batch_ends;  // After each non-empty batch.
    Status failure;                          // Ok when the pass reached the end of the input.
};

std::string describe(const SourcePosition& position) {
    return fmt::format("{{ordinal {}, byte {}, line {}}}", position.ordinal, position.byte_offset,
                       position.line);
}

// Reads every byte of `text` so that AddressSanitizer sees a view into freed or foreign memory.
std::size_t touch(std::string_view text) noexcept {
    std::size_t sum = 0;
    for (const char c : text) {
        sum += static_cast<unsigned char>(c);
    }
    return sum;
}

bool finite_in(double value, double low, double high) noexcept {
    return std::isfinite(value) && value >= low && value <= high;
}

void check_rejection(const Rejection& rejection) {
    // `value` is text of the input (shortened) or a detail; both must be readable views.
    touch(rejection.id);
    touch(rejection.field);
    touch(rejection.value);
    check(!render_message(rejection).empty(), "a rejection renders an empty message");
}

// Checks one batch against where the previous one ended, and appends its records to `pass`.
void check_batch(const NodeBatch& batch,
                 const SourcePosition& before,
                 const SourcePosition& now,
                 std::size_t max_records,
                 std::uint64_t file_size,
                 Pass& pass) {
    const std::string where = fmt::format(
        "batch from {} to {} (first_ordinal {}, {} records, {} nodes, {} rejections, "
        "max_records {})",
        describe(before), describe(now), batch.first_ordinal, batch.record_count,
        batch.nodes.size(), batch.rejections.size(), max_records);
    check(batch.first_ordinal == before.ordinal, "batch.first_ordinal is not the next ordinal",
          where);
    check(batch.record_count == batch.nodes.size() + batch.rejections.size(),
          "record_count differs from nodes + rejections", where);
    check(batch.record_count <= max_records, "a batch holds more than max_records", where);
    check(batch.end == now, "batch.end differs from position() after read", where);
    check(now.ordinal == before.ordinal + batch.record_count, "end ordinal does not add up", where);
    check(now.byte_offset >= before.byte_offset && now.line >= before.line,
          "the position went back", where);
    check(batch.record_count == 0 || now.byte_offset > before.byte_offset,
          "records were read without consuming bytes", where);
    check(now.byte_offset <= file_size, "the position is past the end of the file", where);

    // Walk the ordinals in order: each must be exactly one node or one rejection.
    std::size_t node = 0;
    std::size_t rejection = 0;
    std::uint64_t last_line = before.line;
    for (std::uint64_t ordinal = before.ordinal; ordinal < now.ordinal; ++ordinal) {
        Delivered record;
        record.ordinal = ordinal;
        if (node < batch.nodes.size() && batch.nodes[node].ordinal == ordinal) {
            const Node& accepted = batch.nodes[node++];
            check_accepted_node(accepted);
            record.line = accepted.line;
            record.accepted = true;
            record.id.assign(accepted.id);
        } else if (rejection < batch.rejections.size() &&
                   batch.rejections[rejection].ordinal == ordinal) {
            const Rejection& rejected = batch.rejections[rejection++];
            check_rejection(rejected);
            record.line = rejected.line;
            record.id.assign(rejected.id);
        } else {
            fail("a record is neither a node nor a rejection",
                 fmt::format("{}: ordinal {}", where, ordinal));
        }
        check(record.line >= last_line && record.line <= now.line,
              "record lines are not monotone within the batch's span",
              fmt::format("{}: ordinal {} on line {}", where, ordinal, record.line));
        last_line = record.line;
        pass.records.push_back(std::move(record));
    }
    check(node == batch.nodes.size() && rejection == batch.rejections.size(),
          "a node or rejection carries an ordinal outside its batch or out of order", where);
}

// Reads `source` from where it stands to the end (or its first failure).
Pass drain(NodeSource& source, std::size_t max_records, std::uint64_t file_size) {
    Pass pass;
    NodeBatch batch;
    SourcePosition before = source.position();
    for (std::size_t round = 0; round < kMaxBatches; ++round) {
        const Status status = source.read(batch, max_records);
        if (!status.ok()) {
            check_input_failure(status, source.description());
            pass.failure = status;
            return pass;
        }
        const SourcePosition now = source.position();
        check_batch(batch, before, now, max_records, file_size, pass);
        if (batch.record_count == 0) {
            // The end is final: reading again neither fails nor delivers anything.
            const Status again = source.read(batch, max_records);
            check(again.ok() && batch.record_count == 0 && source.position() == now,
                  "reading past the end delivered records, failed or moved");
            return pass;
        }
        pass.batch_ends.push_back(now);
        before = now;
    }
    fail("a source never reached the end of a small input");
}

Result<std::unique_ptr<NodeSource>> open_checked(const SourceOptions& options) {
    Result<std::unique_ptr<NodeSource>> source = open_source(options);
    if (!source.ok()) {
        check_input_failure(source.status(), options.path.string());
    }
    return source;
}

void check_same_records(const Pass& expected,
                        std::size_t from,
                        const Pass& actual,
                        std::string_view what) {
    const std::size_t expected_count = expected.records.size() - from;
    if (actual.records.size() != expected_count) {
        fail(what, fmt::format("{} records instead of {}", actual.records.size(), expected_count));
    }
    for (std::size_t i = 0; i < expected_count; ++i) {
        const Delivered& want = expected.records[from + i];
        const Delivered& got = actual.records[i];
        if (!(want == got)) {
            fail(what, fmt::format("record {}: ordinal {} line {} {} \"{}\" instead of ordinal {} "
                                   "line {} {} \"{}\"",
                                   i, got.ordinal, got.line, got.accepted ? "node" : "rejection",
                                   got.id, want.ordinal, want.line,
                                   want.accepted ? "node" : "rejection", want.id));
        }
    }
    check(actual.failure.ok() == expected.failure.ok(), what,
          fmt::format("one pass ended with \"{}\", the other with \"{}\"",
                      expected.failure.to_string(), actual.failure.to_string()));
}

const OpportunityScorer& default_scorer() {
    static const OpportunityScorer scorer;
    return scorer;
}

}  // namespace

void fail(std::string_view what, std::string_view detail) {
    std::fprintf(stderr, "\n*** bulkscore fuzz invariant broken: %.*s\n",
                 static_cast<int>(what.size()), what.data());
    if (!detail.empty()) {
        std::fprintf(stderr, "*** %.*s\n", static_cast<int>(detail.size()), detail.data());
    }
    std::fflush(stderr);
    std::abort();
}

InputFile& InputFile::instance() {
    static InputFile file;
    return file;
}

InputFile::InputFile() {
    fd_ = ::memfd_create("bulkscore-fuzz-input", MFD_CLOEXEC);
    if (fd_ < 0) {
        fail("memfd_create failed");
    }
    path_ = fmt::format("/proc/self/fd/{}", fd_);
}

void InputFile::write(std::span<const std::uint8_t> bytes) {
    if (::ftruncate(fd_, 0) != 0) {
        fail("ftruncate of the input memfd failed");
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::pwrite(fd_, bytes.data() + written, bytes.size() - written,
                                   static_cast<off_t>(written));
        if (n <= 0) {
            fail("pwrite to the input memfd failed");
        }
        written += static_cast<std::size_t>(n);
    }
}

ReadPlan plan_for(std::span<const std::uint8_t> bytes) noexcept {
    // FNV-1a: any mutation may change the plan, and the same bytes always give the same plan.
    std::uint64_t hash = 14695981039346656037ULL;
    for (const std::uint8_t byte : bytes) {
        hash = (hash ^ byte) * 1099511628211ULL;
    }
    static constexpr std::array<std::size_t, 6> kBatches = {1, 2, 3, 7, 64, 4096};
    // Small buffers make records straddle refills and grow the buffer; the library's minimum is
    // 64 bytes.
    static constexpr std::array<std::size_t, 5> kBuffers = {64, 65, 100, 257, 1 << 16};
    ReadPlan plan;
    plan.first_batch = kBatches[hash % kBatches.size()];
    plan.second_batch = kBatches[(hash / 8 + 1 + hash % kBatches.size()) % kBatches.size()];
    plan.read_buffer_bytes = kBuffers[(hash / 64) % kBuffers.size()];
    plan.resume_pick = static_cast<std::size_t>(hash / 1024);
    return plan;
}

void check_input_failure(const Status& status, std::string_view must_mention) {
    const std::string text = status.to_string();
    check(status.code() == StatusCode::kInvalidArgument ||
              status.code() == StatusCode::kResourceExhausted,
          "bad input caused a failure other than invalid_argument/resource_exhausted", text);
    check(!status.message().empty(), "a failure without a message");
    check(must_mention.empty() || status.message().find(must_mention) != std::string_view::npos,
          "a failure message does not name the file", text);
}

void check_accepted_node(const Node& node) {
    const std::string where = fmt::format("node ordinal {} line {}", node.ordinal, node.line);
    check(!check_node(node).has_value(), "an accepted node breaks the input rules", where);
    check(!node.id.empty() && node.id.size() <= kMaxIdBytes, "bad id length", where);
    check(!node.url.empty(), "an accepted node has an empty url", where);
    touch(node.id);
    touch(node.url);
    check(node.impressions >= 0 && node.clicks >= 0 && node.clicks <= node.impressions,
          "impressions or clicks out of range", where);
    check(node.position == kNotRanking || (std::isfinite(node.position) && node.position >= 1),
          "position is neither finite >= 1 nor not-ranking", where);
    check(!node.difficulty || finite_in(*node.difficulty, 0, 100), "difficulty out of [0, 100]",
          where);
    for (const std::optional<std::int64_t>& count :
         {node.search_volume, node.prev_clicks, node.word_count, node.inlinks,
          node.days_since_update}) {
        check(!count || *count >= 0, "a negative count was accepted", where);
    }
    check_score(default_scorer(), node);
}

void check_score(const OpportunityScorer& scorer, const Node& node) {
    const ScoreResult result = scorer.score(node);
    const std::string where = fmt::format("score of node ordinal {}", node.ordinal);
    check(finite_in(result.score, 0, 100), "score outside [0, 100] or not finite", where);
    check(std::isfinite(result.potential_clicks) && result.potential_clicks >= 0,
          "potential clicks negative or not finite", where);
    const Components& c = result.components;
    for (const double component : {c.upside, c.striking, c.ctr_gap, c.demand, c.decay, c.ease,
                                   c.staleness, c.thinness, c.link_need}) {
        check(finite_in(component, 0, 1), "a component outside [0, 1] or not finite", where);
    }
    check(result.id == node.id, "the result's id is not the node's", where);
}

void exercise_source(const SourceOptions& options, const ReadPlan& plan) {
    Result<std::unique_ptr<NodeSource>> opened = open_checked(options);
    if (!opened.ok()) {
        return;
    }
    NodeSource& source = **opened;
    std::error_code error;
    const std::uint64_t file_size = std::filesystem::file_size(options.path, error);
    check(!error, "cannot size the input file");

    const SourcePosition start = source.position();
    check(start.ordinal == 0, "a fresh source does not start at ordinal 0", describe(start));
    const Result<std::uint64_t> counted = source.count_records();
    check(source.position() == start, "count_records moved the position");
    if (!counted.ok()) {
        check_input_failure(counted.status(), source.description());
    }

    const Pass first = drain(source, plan.first_batch, file_size);
    if (counted.ok()) {
        check(first.failure.ok() ? *counted == first.records.size()
                                 : *counted >= first.records.size(),
              "count_records disagrees with the records read",
              fmt::format("counted {}, read {}, reading {}", *counted, first.records.size(),
                          first.failure.to_string()));
    } else {
        check(!first.failure.ok(), "count_records failed on an input that reads cleanly",
              counted.status().to_string());
    }

    // The same source, from its start again, in batches of another size.
    const Status rewound = source.seek(start);
    check(rewound.ok(), "seeking back to the start failed", rewound.to_string());
    const Pass second = drain(source, plan.second_batch, file_size);
    check_same_records(first, 0, second, "a re-read with another batch size differs");

    // A fresh source resumed from one of the batch ends, as after a restart.
    if (first.batch_ends.empty()) {
        return;
    }
    const SourcePosition resume_at = first.batch_ends[plan.resume_pick % first.batch_ends.size()];
    Result<std::unique_ptr<NodeSource>> reopened = open_checked(options);
    check(reopened.ok(), "reopening an input that opened before failed");
    const Status sought = (*reopened)->seek(resume_at);
    check(sought.ok(), "resuming at a position the source reported failed",
          fmt::format("{}: {}", describe(resume_at), sought.to_string()));
    check((*reopened)->position() == resume_at, "position() after seek is not the sought one");
    const Pass resumed = drain(**reopened, plan.first_batch, file_size);
    check_same_records(first, static_cast<std::size_t>(resume_at.ordinal), resumed,
                       "a resumed source delivers other records");
}

}  // namespace bulkscore::fuzz
