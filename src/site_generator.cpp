// SPDX-License-Identifier: MIT
//
// The synthetic site of bulkscore/site_generator.hpp. Every page draws from its
// own random stream, seeded from `(seed, index)`; the transforms (uniform,
// normal, log-normal) are written here rather than taken from <random>, whose
// distributions differ between standard libraries.
//
// Thread safety: the free functions share no state; a source is used by one
// thread at a time.

#include "bulkscore/site_generator.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>
#include <string_view>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "bulkscore/range_source.hpp"

#include "engine/random_access_source.hpp"
#include <fcntl.h>
#include <unistd.h>

namespace bulkscore {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// The splitmix64 finaliser: a bijective 64-bit mix with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A splitmix64 stream private to one page. Seeding through two mixes keeps the
// streams of neighbouring pages unrelated (adding the stream increment would
// make them overlap).
//
// Limitation: the normal and log-normal draws go through the C library's `log`, `exp` and `pow`;
// glibc's are correctly rounded in practice, but another libm could change a last bit and with
// it, rarely, a rounded metric, so byte-identical files are promised per C library only.
class PageRandom {
public:
    PageRandom(std::uint64_t seed, std::uint64_t index) noexcept
        : state_(mix64(mix64(seed) ^ mix64(index ^ 0xD1B54A32D192ED03ULL))) {}

    std::uint64_t next() noexcept {
        state_ += kGolden;
        return mix64(state_);
    }

    /// Uniform in [0, 1), 53 random bits.
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// True with probability `p`.
    bool chance(double p) noexcept { return uniform() < p; }

    /// Standard normal, by Marsaglia's polar method (one of the pair; the other
    /// is not worth keeping). Cheaper than Box-Muller: no cosine.
    double normal() noexcept {
        while (true) {
            const double x = 2.0 * uniform() - 1.0;
            const double y = 2.0 * uniform() - 1.0;
            const double s = x * x + y * y;
            if (s > 0.0 && s < 1.0) {
                return x * std::sqrt(-2.0 * std::log(s) / s);
            }
        }
    }

    /// Log-normal with the given median and log-space spread.
    double log_normal(double median, double sigma) noexcept {
        return median * std::exp(sigma * normal());
    }

private:
    std::uint64_t state_;
};

struct Section {
    std::string_view name;
    double share;        // Of all pages.
    double not_ranking;  // Share of the section's pages without impressions.
};

constexpr std::array<Section, 7> kSections = {{
    {"blog", 0.30, 0.12},
    {"products", 0.20, 0.10},
    {"guides", 0.12, 0.08},
    {"category", 0.10, 0.15},
    {"docs", 0.10, 0.18},
    {"news", 0.10, 0.30},
    {"help", 0.08, 0.22},
}};

constexpr std::array<std::string_view, 48> kWords = {
    "best",    "guide",  "how",       "to",     "choose", "cheap",   "review",  "vs",
    "winter",  "summer", "tyres",     "garden", "coffee", "grinder", "running", "shoes",
    "budget",  "travel", "insurance", "plan",   "recipe", "easy",    "vegan",   "bread",
    "home",    "office", "chair",     "desk",   "laptop", "battery", "repair",  "cost",
    "near",    "me",     "top",       "ten",    "ideas",  "for",     "kids",    "small",
    "kitchen", "paint",  "colour",    "trends", "2024",   "new",     "update",  "faq",
};

// Expected click-through rate by position: SCORING.md's curve, so that clicks
// look like what the scorer expects, up to the noise each page adds.
double expected_ctr(double position) noexcept {
    static constexpr std::array<std::pair<double, double>, 16> kCurve = {{
        {1, .276},
        {2, .158},
        {3, .110},
        {4, .084},
        {5, .063},
        {6, .049},
        {7, .039},
        {8, .033},
        {9, .027},
        {10, .024},
        {11, .010},
        {15, .008},
        {20, .006},
        {30, .003},
        {50, .001},
        {100, 0},
    }};
    if (position <= kCurve.front().first) {
        return kCurve.front().second;
    }
    for (std::size_t i = 1; i < kCurve.size(); ++i) {
        const auto [p1, e1] = kCurve[i];
        if (position <= p1) {
            const auto [p0, e0] = kCurve[i - 1];
            return e0 + (e1 - e0) * (position - p0) / (p1 - p0);
        }
    }
    return 0;
}

std::int64_t whole(double value) noexcept {
    // Every draw is bounded (a normal from 53 bits stays under 9 sigma); the cap
    // only guards the conversion.
    return static_cast<std::int64_t>(std::floor(std::min(value, 1e15)));
}

// One generated page: its metrics, and its id in a buffer reused from page to
// page.
struct Page {
    Node node;
    fmt::memory_buffer id;
};

void append_text(fmt::memory_buffer& out, std::string_view text) {
    out.append(text.data(), text.data() + text.size());
}

void append_id(PageRandom& random,
               const Section& section,
               std::uint64_t index,
               fmt::memory_buffer& id) {
    id.clear();
    append_text(id, "https://www.example.com/");
    append_text(id, section.name);
    id.push_back('/');
    const std::uint64_t words = 2 + random.next() % 3;
    for (std::uint64_t w = 0; w < words; ++w) {
        const std::string_view word = kWords[random.next() % kWords.size()];
        append_text(id, word);
        id.push_back('-');
    }
    const fmt::format_int number(index + 1);
    id.append(number.data(), number.data() + number.size());
}

const Section& pick_section(PageRandom& random) noexcept {
    double left = random.uniform();
    for (const Section& section : kSections) {
        if (left < section.share) {
            return section;
        }
        left -= section.share;
    }
    return kSections.back();
}

// The metrics a site may or may not know, each missing at its own realistic
// rate.
void generate_optional_metrics(PageRandom& random, Node& node) {
    if (random.chance(0.55)) {
        const double demand = static_cast<double>(std::max<std::int64_t>(node.impressions, 10));
        node.search_volume = whole(demand * random.log_normal(0.6, 1.1));
    }
    if (random.chance(0.50)) {
        node.difficulty = std::round(1000.0 * std::pow(random.uniform(), 1.4)) / 10.0;
    }
    if (random.chance(0.65)) {
        const auto clicks = static_cast<double>(node.clicks);
        // One page in eight lost traffic since the previous window.
        const double previous =
            random.chance(0.125) ? clicks * (1.5 + 3.0 * random.uniform()) + 5.0 * random.uniform()
                                 : clicks * random.log_normal(1.0, 0.35) + random.uniform();
        node.prev_clicks = whole(previous);
    }
    if (random.chance(0.85)) {
        node.word_count = whole(random.log_normal(750.0, 0.75));
    }
    if (random.chance(0.80)) {
        node.inlinks = whole(random.log_normal(5.5, 1.4));
    }
    if (random.chance(0.70)) {
        node.days_since_update =
            std::min<std::int64_t>(7300, whole(-std::log(1.0 - random.uniform()) * 420.0));
    }
}

void generate_page(std::uint64_t seed, std::uint64_t index, Page& page) {
    PageRandom random(seed, index);
    const Section& section = pick_section(random);
    append_id(random, section, index, page.id);

    Node& node = page.node;
    node = Node();
    node.ordinal = index;
    if (!random.chance(section.not_ranking)) {
        // Positions: log-normal around 14, mostly 1..100, a few deeper; two
        // decimals as the Search Console interface shows them.
        const double raw = std::max(1.0, random.log_normal(14.0, 0.95));
        node.position = std::max(1.0, std::round(raw * 100.0) / 100.0);
        // Impressions: heavy-tailed, and larger for better positions.
        const double impressions = random.log_normal(70.0, 1.9) / std::pow(node.position, 0.7);
        node.impressions = std::max<std::int64_t>(1, whole(impressions));
        const double ctr = std::min(0.9, expected_ctr(node.position) * random.log_normal(1, 0.55));
        const double clicks = static_cast<double>(node.impressions) * ctr + random.uniform();
        node.clicks = std::min(node.impressions, whole(clicks));
    }
    generate_optional_metrics(random, node);
}

void append_number(fmt::memory_buffer& out, std::int64_t value) {
    const fmt::format_int digits(value);
    out.append(digits.data(), digits.data() + digits.size());
}

void append_number(fmt::memory_buffer& out, double value) {
    // Shortest text that reads back to the same double.
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{}"), value);
}

template <class Value>
void append_optional(fmt::memory_buffer& out, const std::optional<Value>& value) {
    out.push_back(',');
    if (value) {
        append_number(out, *value);
    }
}

void append_row(const Page& page, fmt::memory_buffer& out) {
    const Node& node = page.node;
    append_text(out, std::string_view(page.id.data(), page.id.size()));
    out.push_back(',');
    append_number(out, node.impressions);
    out.push_back(',');
    append_number(out, node.clicks);
    out.push_back(',');
    if (node.position != kNotRanking) {
        append_number(out, node.position);
    }
    append_optional(out, node.search_volume);
    append_optional(out, node.difficulty);
    append_optional(out, node.prev_clicks);
    append_optional(out, node.word_count);
    append_optional(out, node.inlinks);
    append_optional(out, node.days_since_update);
    out.push_back('\n');
}

constexpr std::string_view kCsvHeader =
    "id,impressions,clicks,position,search_volume,difficulty,prev_clicks,word_"
    "count,inlinks,"
    "days_since_update\n";

// Rows are flushed once this much is buffered.
constexpr std::size_t kFlushBytes = 1 << 20;

Status write_all(int fd, const fmt::memory_buffer& out, const std::filesystem::path& path) {
    const char* data = out.data();
    std::size_t left = out.size();
    while (left > 0) {
        const ssize_t written = ::write(fd, data, left);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return invalid_argument_error(
                fmt::format("{}: cannot write: {}; check the disk space "
                            "and permissions",
                            path.string(), std::strerror(errno)));
        }
        data += written;
        left -= static_cast<std::size_t>(written);
    }
    return ok_status();
}

Status write_rows(int fd, const std::filesystem::path& path, const SiteGeneratorOptions& options) {
    fmt::memory_buffer out;
    out.reserve(kFlushBytes + 4096);
    append_text(out, kCsvHeader);
    Page page;
    for (std::uint64_t i = 0; i < options.pages; ++i) {
        generate_page(options.seed, i, page);
        append_row(page, out);
        if (out.size() >= kFlushBytes) {
            BULKSCORE_RETURN_IF_ERROR(write_all(fd, out, path));
            out.clear();
        }
    }
    return write_all(fd, out, path);
}

class SiteGeneratorSource final : public NodeSource, public detail::RandomAccessSource {
public:
    explicit SiteGeneratorSource(const SiteGeneratorOptions& options) : options_(options) {}

    Status read(NodeBatch& batch, std::size_t max_records) override {
        const std::uint64_t count = std::min<std::uint64_t>(max_records, options_.pages - next_);
        fill(next_, count, page_, batch);
        next_ += count;
        return ok_status();
    }

    Status read_range(std::uint64_t first, std::size_t count, NodeBatch& batch) const override {
        Page page;  // Its id buffer is inline: no allocation for ids of ordinary length.
        fill(first,
             std::min<std::uint64_t>(count, options_.pages - std::min(first, options_.pages)), page,
             batch);
        return ok_status();
    }

    std::uint64_t record_total() const noexcept override { return options_.pages; }

    Result<std::uint64_t> count_records() override { return options_.pages; }

    SourcePosition position() const noexcept override { return {next_, 0, 0}; }

    Status seek(const SourcePosition& position) override {
        if (position.ordinal > options_.pages) {
            return invalid_argument_error(
                fmt::format("generator: cannot resume at page {}: the site has {} "
                            "pages; the position "
                            "belongs to another input",
                            position.ordinal, options_.pages));
        }
        next_ = position.ordinal;
        return ok_status();
    }

    std::string_view description() const noexcept override { return "generator"; }

private:
    void fill(std::uint64_t first, std::uint64_t count, Page& page, NodeBatch& batch) const {
        batch.clear();
        batch.first_ordinal = first;
        for (std::uint64_t index = first; index < first + count; ++index) {
            generate_page(options_.seed, index, page);
            page.node.id = std::string_view(page.id.data(), page.id.size());
            detail::append_memory_node(page.node, index, batch);
        }
        batch.end = SourcePosition{first + count, 0, 0};
    }

    SiteGeneratorOptions options_;
    std::uint64_t next_ = 0;
    Page page_;
};

}  // namespace

Status write_site_csv(const std::filesystem::path& path, const SiteGeneratorOptions& options) {
    // The user's umask decides, except that others never get write.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
    if (fd < 0) {
        return invalid_argument_error(
            fmt::format("{}: cannot create: {}; check the folder "
                        "exists and is writable",
                        path.string(), std::strerror(errno)));
    }
    Status written;
    try {
        written = write_rows(fd, path, options);
    } catch (const std::exception& error) {
        written =
            internal_error(fmt::format("{}: generating failed: {}", path.string(), error.what()));
    }
    if (::close(fd) != 0 && written.ok()) {
        return invalid_argument_error(
            fmt::format("{}: cannot finish writing: {}", path.string(), std::strerror(errno)));
    }
    return written;
}

std::unique_ptr<NodeSource> make_site_generator_source(const SiteGeneratorOptions& options) {
    return std::make_unique<SiteGeneratorSource>(options);
}

}  // namespace bulkscore
