// SPDX-License-Identifier: MIT
//
// A host's own `CheckpointStore`: checkpoints kept as JSON documents in a key-value table the
// host already has (simulated here by a map of strings, which a real host would replace with its
// database or object store). A first run is stopped part-way, a second engine resumes it from
// the stored checkpoint, and the program checks that every page was scored exactly once.
//
//     example_custom_checkpoint_store [PAGES]
//
// Exits 1 when the resume did not happen or a page is missing or scored twice.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <boost/json.hpp>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/site_generator.hpp"

namespace {

namespace json = boost::json;

json::object to_document(const bulkscore::Checkpoint& c) {
    return {{"job", c.job},
            {"state", bulkscore::to_string(c.state)},
            {"ordinal", c.position.ordinal},
            {"byte_offset", c.position.byte_offset},
            {"line", c.position.line},
            {"total", c.total},
            {"scored", c.scored},
            {"rejected", c.rejected},
            {"input", c.input},
            {"input_fingerprint", c.input_fingerprint},
            {"config_fingerprint", c.config_fingerprint},
            {"sink_state", c.sink_state},
            {"started_at_ms", c.started_at_ms},
            {"updated_at_ms", c.updated_at_ms},
            {"message", c.message}};
}

bulkscore::Result<bulkscore::Checkpoint> from_document(std::string_view text) {
    boost::system::error_code error;
    const json::value value = json::parse(text, error);
    if (error || !value.is_object()) {
        return bulkscore::data_loss_error("stored checkpoint is not a JSON object");
    }
    const json::object& d = value.as_object();
    const auto state = bulkscore::parse_job_state(d.at("state").as_string());
    if (!state) {
        return bulkscore::data_loss_error("stored checkpoint has an unknown state");
    }
    bulkscore::Checkpoint c;
    c.job = json::value_to<std::string>(d.at("job"));
    c.state = *state;
    c.position.ordinal = d.at("ordinal").to_number<std::uint64_t>();
    c.position.byte_offset = d.at("byte_offset").to_number<std::uint64_t>();
    c.position.line = d.at("line").to_number<std::uint64_t>();
    c.total = d.at("total").to_number<std::uint64_t>();
    c.scored = d.at("scored").to_number<std::uint64_t>();
    c.rejected = d.at("rejected").to_number<std::uint64_t>();
    c.input = json::value_to<std::string>(d.at("input"));
    c.input_fingerprint = json::value_to<std::string>(d.at("input_fingerprint"));
    c.config_fingerprint = json::value_to<std::string>(d.at("config_fingerprint"));
    c.sink_state = json::value_to<std::string>(d.at("sink_state"));
    c.started_at_ms = d.at("started_at_ms").to_number<std::int64_t>();
    c.updated_at_ms = d.at("updated_at_ms").to_number<std::int64_t>();
    c.message = json::value_to<std::string>(d.at("message"));
    return c;
}

// The contract (result_sink.hpp): `save` is atomic (one assignment of one value here), `load`
// returns the last saved checkpoint or none, `discard` forgets it. The engine calls it from one
// thread; the lock lets the host read along from others.
class KeyValueCheckpointStore final : public bulkscore::CheckpointStore {
public:
    bulkscore::Result<std::optional<bulkscore::Checkpoint>> load(std::string_view job) override {
        std::lock_guard lock(mutex_);
        const auto found = table_.find(key(job));
        if (found == table_.end()) {
            return std::optional<bulkscore::Checkpoint>();
        }
        auto checkpoint = from_document(found->second);
        if (!checkpoint.ok()) {
            return checkpoint.status();
        }
        return std::optional<bulkscore::Checkpoint>(std::move(checkpoint).value());
    }

    bulkscore::Status save(const bulkscore::Checkpoint& checkpoint) override {
        std::string document = json::serialize(to_document(checkpoint));
        std::lock_guard lock(mutex_);
        table_[key(checkpoint.job)] = std::move(document);
        ++saves_;
        return bulkscore::Status();
    }

    bulkscore::Status discard(std::string_view job) override {
        std::lock_guard lock(mutex_);
        table_.erase(key(job));
        return bulkscore::Status();
    }

    std::size_t saves() const {
        std::lock_guard lock(mutex_);
        return saves_;
    }

private:
    static std::string key(std::string_view job) {
        return "bulkscore/checkpoint/" + std::string(job);
    }

    mutable std::mutex mutex_;
    std::map<std::string, std::string> table_;  // Guarded by mutex_.
    std::size_t saves_ = 0;                     // Guarded by mutex_.
};

int fail(const std::string& why) {
    std::fprintf(stderr, "custom_checkpoint_store: %s\n", why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t pages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 50000;
    const bulkscore::SiteGeneratorOptions site{.pages = pages, .seed = 9};
    const bulkscore::OpportunityScoring scorer;
    // The sink outlives both runs, as a database would; the store says how far it is durable.
    bulkscore::MemorySink sink;
    KeyValueCheckpointStore store;
    bulkscore::BulkScorerOptions options;
    options.checkpoint_interval = std::chrono::milliseconds(0);  // A checkpoint per commit.
    // An event per commit too: a fast machine scores 50,000 pages before a throttled first event,
    // and the run below must be stopped part-way.
    options.progress_interval = std::chrono::milliseconds(0);
    const bulkscore::JobSpec job{
        .job = "site", .input = "generated", .input_fingerprint = "seed 9"};

    // First run: stop it once a third of the site is done.
    {
        auto source = bulkscore::make_site_generator_source(site);
        bulkscore::BulkScorer engine(*source, scorer, sink, store, options);
        engine.on_progress([&engine, pages](const bulkscore::ProgressEvent& event) {
            if (event.done * 3 >= pages) {
                engine.cancel();
            }
        });
        auto first = engine.run(job);
        if (!first.ok() || first->state != bulkscore::JobState::kCancelled) {
            return fail("the first run was expected to stop part-way");
        }
        std::printf("first run stopped with %llu of %llu pages saved\n",
                    static_cast<unsigned long long>(first->scored + first->rejected),
                    static_cast<unsigned long long>(pages));
    }

    // Second run: a new engine over a fresh source resumes from the stored checkpoint.
    auto source = bulkscore::make_site_generator_source(site);
    bulkscore::BulkScorer engine(*source, scorer, sink, store, options);
    auto second = engine.run(job);
    if (!second.ok()) {
        return fail(second.status().to_string());
    }
    if (!second->resumed || second->state != bulkscore::JobState::kFinished) {
        return fail("the second run did not resume and finish");
    }

    // Exactly once: one entry per page in the sink's log, results and rejections together.
    std::set<std::uint64_t> ordinals;
    for (const bulkscore::ScoreRow& row : sink.results()) {
        ordinals.insert(row.ordinal);
    }
    for (const bulkscore::RejectionRow& rejection : sink.rejections()) {
        ordinals.insert(rejection.ordinal);
    }
    const std::size_t logged = sink.result_count() + sink.rejection_count();
    if (logged != pages || ordinals.size() != pages) {
        return fail("expected each of " + std::to_string(pages) + " pages once, the log has " +
                    std::to_string(logged) + " entries for " + std::to_string(ordinals.size()));
    }
    auto stored = store.load("site");
    if (!stored.ok() || !*stored || (*stored)->state != bulkscore::JobState::kFinished) {
        return fail("the stored checkpoint does not say finished");
    }
    std::printf("resumed at page %llu and finished: %zu pages, each once, %zu checkpoints saved\n",
                static_cast<unsigned long long>(second->resumed_from), logged, store.saves());
    return 0;
}
