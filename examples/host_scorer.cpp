// SPDX-License-Identifier: MIT
//
// A host's own scorer: a `Scorer` that ranks pages by a rule of the host (here: clicks lost
// since the previous period, with the default opportunity score as a tie-breaker), over pages
// the host already holds in memory. Pages the host marks as excluded fail permanently and
// become rejections; the run goes on.
//
//     example_host_scorer [PAGES]
//
// The program checks its own result (every page accounted for once, every score equal to the
// rule) and exits 1 when anything is off.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/range_source.hpp"
#include "bulkscore/scorer.hpp"

namespace {

// A page as the host's CMS keeps it.
struct Page {
    std::string path;
    std::int64_t impressions = 0;
    std::int64_t clicks = 0;
    std::int64_t clicks_last_month = 0;
    double position = 0;
    bool excluded = false;  // The editors asked not to touch it.
};

// The host's rule, in points: each click lost counts one, plus a tenth of the opportunity score.
double host_points(std::int64_t lost, double opportunity) {
    return static_cast<double>(lost) + opportunity / 10.0;
}

// Thread safety: `score` is called from every worker thread at once, so it only reads its
// members (the default scorer is itself a pure, thread-safe function).
class LostClicksScorer final : public bulkscore::Scorer {
public:
    explicit LostClicksScorer(const std::vector<Page>& pages) : pages_(pages) {}

    bulkscore::Status score(const bulkscore::Node& node,
                            bulkscore::ScoreResult& out) const noexcept override {
        // The ordinal is the page's index in the host's vector: the source reads it in order.
        if (pages_[node.ordinal].excluded) {
            return bulkscore::failed_precondition_error("excluded by the editors");
        }
        out = opportunity_.score(node);  // Fills id, url, ordinal, action and components.
        const std::int64_t lost = node.prev_clicks.value_or(0) - node.clicks;
        out.score = host_points(lost > 0 ? lost : 0, out.score);
        out.scorer_version = version();
        return bulkscore::Status();
    }

    std::string_view version() const noexcept override { return "host-lost-clicks-v1"; }

    // Part of every checkpoint: a resume under another rule is refused.
    std::string fingerprint() const override { return "host-lost-clicks-v1"; }

private:
    const std::vector<Page>& pages_;
    bulkscore::OpportunityScorer opportunity_;
};

std::vector<Page> make_pages(std::size_t count) {
    std::vector<Page> pages(count);
    for (std::size_t i = 0; i < count; ++i) {
        Page& page = pages[i];
        page.path = "https://shop.example/p/" + std::to_string(i);
        page.impressions = static_cast<std::int64_t>(100 + (i * 7919) % 5000);
        page.clicks = static_cast<std::int64_t>((i * 104729) % 90);
        page.clicks_last_month = static_cast<std::int64_t>((i * 1299709) % 120);
        page.position = 1.0 + static_cast<double>((i * 31) % 400) / 10.0;
        page.excluded = i % 50 == 7;
    }
    return pages;
}

int fail(const std::string& why) {
    std::fprintf(stderr, "host_scorer: %s\n", why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
    const std::vector<Page> pages = make_pages(count);

    // The source turns each Page into a Node on the fly; the text stays in `pages`.
    auto source = bulkscore::make_range_source(pages, [](const Page& page) {
        bulkscore::Node node;
        node.id = page.path;
        node.url = page.path;
        node.impressions = page.impressions;
        node.clicks = page.clicks;
        node.prev_clicks = page.clicks_last_month;
        node.position = page.position;
        return node;
    });
    LostClicksScorer scorer(pages);
    bulkscore::MemorySink sink;
    bulkscore::MemoryCheckpointStore checkpoints;
    bulkscore::BulkScorer engine(*source, scorer, sink, checkpoints);
    auto summary =
        engine.run({.job = "lost-clicks", .input = "cms", .input_fingerprint = "in memory"});
    if (!summary.ok()) {
        return fail(summary.status().to_string());
    }
    if (summary->state != bulkscore::JobState::kFinished) {
        return fail("the run did not finish: " + summary->error.to_string());
    }

    // Check: the excluded pages are the rejections, every other page has the rule's score.
    std::size_t excluded = 0;
    for (const Page& page : pages) {
        excluded += page.excluded ? 1 : 0;
    }
    const bulkscore::OpportunityScorer reference;
    std::size_t checked = 0;
    for (const bulkscore::ScoreRow& row : sink.rows()) {
        const Page& page = pages[row.ordinal];
        bulkscore::Node node;
        node.id = page.path;
        node.url = page.path;
        node.impressions = page.impressions;
        node.clicks = page.clicks;
        node.prev_clicks = page.clicks_last_month;
        node.position = page.position;
        const std::int64_t lost = page.clicks_last_month - page.clicks;
        const double expected = host_points(lost > 0 ? lost : 0, reference.score(node).score);
        if (page.excluded || row.id != page.path || row.score != expected ||
            row.scorer_version != "host-lost-clicks-v1") {
            return fail("wrong result for " + row.id);
        }
        ++checked;
    }
    if (checked != count - excluded || sink.rejection_count() != excluded) {
        return fail("expected " + std::to_string(count - excluded) + " results and " +
                    std::to_string(excluded) + " rejections, got " + std::to_string(checked) +
                    " and " + std::to_string(sink.rejection_count()));
    }
    for (const bulkscore::RejectionRow& rejection : sink.rejections()) {
        if (!pages[rejection.ordinal].excluded) {
            return fail("page " + rejection.id + " was rejected: " + rejection.message);
        }
    }
    std::printf("host scorer: %zu pages scored by the host's rule, %zu excluded pages rejected\n",
                checked, excluded);
    return 0;
}
