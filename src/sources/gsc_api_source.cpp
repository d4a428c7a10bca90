// SPDX-License-Identifier: MIT
//
// The Search Analytics API source (`--format gsc-api`): rows such as
// `{"keys": [page, query], "clicks": 3, "impressions": 90, "ctr": 0.033,
// "position": 7.5}` in the `rows` array of an API response, in a bare top-level
// array, or under a key the user names in a wrapper object. The file is
// streamed: the array is located once, then each element's extent is found by a
// scanner that knows strings and nesting, and only that element is parsed, into
// memory reused for the next one.
//
// Thread safety: a source is used by one thread at a time (see `NodeSource`).

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sources/json_scan.hpp"
#include "sources/record_assembler.hpp"
#include "sources/source_factories.hpp"

namespace bulkscore::detail {
namespace {

constexpr std::string_view kDefaultRowsKey = "rows";
constexpr std::string_view kKeySeparator = " | ";
// Keys listed in a "no such key" message; a wrapper with more is not one a
// person reads whole.
constexpr std::size_t kMaxListedKeys = 20;

bool is_http_url(std::string_view text) noexcept {
    return text.starts_with("https://") || text.starts_with("http://");
}

// What a value starting with `first` is, for messages, without parsing it.
std::string_view kind_from_first_byte(char first) noexcept {
    switch (first) {
        case '{':
            return "an object";
        case '[':
            return "an array";
        case '"':
            return "a string";
        case 't':
        case 'f':
            return "a boolean";
        case 'n':
            return "null";
        default:
            return "a number";
    }
}

std::string shown_byte(char c) {
    if (static_cast<unsigned char>(c) < 0x20) {
        return fmt::format("byte 0x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    }
    return fmt::format("'{}'", c);
}

// Where the array of rows starts: right after its `[`.
struct ArrayAnchor {
    std::uint64_t offset = 0;
    std::uint64_t line = 1;
};

// One element of the array, as it stands in the read buffer.
struct Element {
    std::string_view text;
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;
};

// Walks the elements of the array of rows without parsing them: the streaming
// skeleton that both reading and counting use.
class RowCursor {
public:
    // Opens the file and finds the array named by `key` (empty: `rows` or a bare
    // array).
    Status open_and_locate(const SourceOptions& options, std::string_view key);

    // Opens the file at an array located before.
    Status open_at(const SourceOptions& options, const ArrayAnchor& anchor);

    // The next element, or `std::nullopt` at the end of the array. The element's
    // text stays in the buffer until the next call.
    Result<std::optional<Element>> next();

    // Keeps the element last returned for the next call: it turned out not to be
    // a record. Its ordinal is given back too, so that `position()` names it again (a
    // position whose ordinal ran one ahead of its byte offset misnumbered a resume).
    void unread() noexcept {
        pending_ = 0;
        --ordinal_;
    }

    // Moves past the separator after the last element, so that the position names
    // the next one.
    Status advance();

    Status seek(const SourcePosition& position);

    SourcePosition position() const noexcept {
        // Reads end with `advance()`, so `pending_` is normally 0 here.
        return {ordinal_, buffer_.offset() + pending_, buffer_.line_at(pending_)};
    }

    const ArrayAnchor& anchor() const noexcept { return anchor_; }
    const std::string& path() const noexcept { return buffer_.path_text(); }

    // "<file>: line L, column C" for the window byte at `index`.
    std::string place(std::size_t index) const {
        return json_place(path(), buffer_.line_at(index), buffer_.column_at(index));
    }

private:
    enum class State : std::uint8_t { kFirst, kAfterElement, kAfterComma, kEnd };

    void drop_pending() noexcept;
    // Skips JSON whitespace; at the end of the file the window is left empty.
    Status skip_space();
    bool next_is(char c) const noexcept;
    // The last byte before file offset `offset` that is not JSON space, or '[' when only space
    // lies between the array's '[' and `offset`. Moves the buffer; the caller seeks after.
    Result<char> last_byte_before(std::uint64_t offset);
    Status find_key(std::string_view wanted);
    Status missing_key_error(std::string_view wanted, const std::vector<std::string>& keys) const;
    Result<std::size_t> value_extent(std::string_view what);
    Status skip_value();
    Result<std::string> read_key();
    Status syntax_error(std::string_view expected) const;

    ReadBuffer buffer_;
    ValueExtent extent_;
    ArrayAnchor anchor_;
    State state_ = State::kFirst;
    std::uint64_t ordinal_ = 0;
    std::size_t pending_ = 0;  // Bytes of the element last returned, consumed on the next call.
};

Status RowCursor::syntax_error(std::string_view expected) const {
    const std::string_view window = buffer_.window();
    const std::string found =
        window.empty() ? std::string("the end of the file") : shown_byte(window.front());
    return invalid_argument_error(
        fmt::format("{}: malformed JSON: expected {}, found {}; fix the file or "
                    "export it again",
                    place(0), expected, found));
}

Status RowCursor::skip_space() {
    while (true) {
        const std::string_view window = buffer_.window();
        std::size_t spaces = 0;
        while (spaces < window.size() && is_json_space(window[spaces])) {
            ++spaces;
        }
        buffer_.consume(spaces);
        if (spaces < window.size()) {
            return ok_status();
        }
        Result<bool> more = buffer_.fill();
        if (!more.ok()) {
            return more.status();
        }
        if (!*more) {
            return ok_status();
        }
    }
}

bool RowCursor::next_is(char c) const noexcept {
    const std::string_view window = buffer_.window();
    return !window.empty() && window.front() == c;
}

Result<std::size_t> RowCursor::value_extent(std::string_view what) {
    extent_.reset();
    std::size_t scanned = 0;
    while (true) {
        const std::string_view window = buffer_.window();
        const std::size_t end = extent_.feed(window.substr(scanned));
        if (end != std::string_view::npos) {
            return scanned + end;
        }
        scanned = window.size();
        Result<bool> more = buffer_.fill();
        if (!more.ok()) {
            return more.status();
        }
        if (!*more) {
            if (extent_.complete_at_end()) {
                return scanned;
            }
            return invalid_argument_error(
                fmt::format("{}: the file ends inside {} that starts here; the file is "
                            "truncated or malformed, export it again",
                            place(0), what));
        }
    }
}

Status RowCursor::skip_value() {
    // Values beside the rows (other arrays of a wrapper) may be large: stream
    // over them.
    extent_.reset();
    const std::uint64_t line = buffer_.line();
    const std::uint64_t column = buffer_.column_at(0);
    while (true) {
        const std::string_view window = buffer_.window();
        const std::size_t end = extent_.feed(window);
        if (end != std::string_view::npos) {
            buffer_.consume(end);
            return ok_status();
        }
        buffer_.consume(window.size());
        Result<bool> more = buffer_.fill();
        if (!more.ok()) {
            return more.status();
        }
        if (!*more) {
            return invalid_argument_error(
                fmt::format("{}: the file ends inside the value that starts here; it "
                            "is truncated or "
                            "malformed, export it again",
                            json_place(path(), line, column)));
        }
    }
}

Result<std::string> RowCursor::read_key() {
    Result<std::size_t> extent = value_extent("a key");
    if (!extent.ok()) {
        return extent.status();
    }
    const std::string_view quoted = buffer_.window().substr(0, *extent);
    std::string key(quoted.substr(1, quoted.size() - 2));
    if (key.find('\\') != std::string::npos) {
        // Escapes are rare in keys: let the JSON parser decode them.
        boost::json::error_code error;
        const boost::json::value decoded = boost::json::parse(quoted, error);
        if (error || !decoded.is_string()) {
            return invalid_argument_error(
                fmt::format("{}: malformed JSON: a key that is not a valid string ({}); fix "
                            "the file or export it again",
                            place(0), error ? error.message() : "not a string"));
        }
        key.assign(decoded.get_string().data(), decoded.get_string().size());
    }
    buffer_.consume(*extent);
    return key;
}

Status RowCursor::open_and_locate(const SourceOptions& options, std::string_view key) {
    BULKSCORE_RETURN_IF_ERROR(buffer_.open(options.path, options.read_buffer_bytes));
    Result<bool> more = buffer_.fill();
    if (!more.ok()) {
        return more.status();
    }
    if (buffer_.window().starts_with("\xEF\xBB\xBF")) {
        buffer_.consume_in_line(3);
    }
    BULKSCORE_RETURN_IF_ERROR(skip_space());
    if (buffer_.window().empty()) {
        return invalid_argument_error(fmt::format(
            "{}: the file is empty; expected Search Analytics API rows in JSON", path()));
    }
    if (next_is('[')) {
        if (!key.empty()) {
            return invalid_argument_error(
                fmt::format("{}: the document is a bare array of rows, so it has no "
                            "key \"{}\"; leave the "
                            "rows key empty to read it",
                            path(), key));
        }
    } else if (next_is('{')) {
        buffer_.consume_in_line(1);
        BULKSCORE_RETURN_IF_ERROR(find_key(key.empty() ? kDefaultRowsKey : key));
    } else {
        return invalid_argument_error(
            fmt::format("{}: expected a JSON object or array holding Search "
                        "Analytics API rows, found {}",
                        place(0), shown_byte(buffer_.window().front())));
    }
    buffer_.consume_in_line(1);  // The array's '['.
    anchor_ = {buffer_.offset(), buffer_.line()};
    state_ = State::kFirst;
    ordinal_ = 0;
    return ok_status();
}

Status RowCursor::missing_key_error(std::string_view wanted,
                                    const std::vector<std::string>& keys) const {
    const std::string listed =
        keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, ", "));
    return invalid_argument_error(
        fmt::format("{}: the top-level object has no key \"{}\" holding the rows; its keys "
                    "are: {}{}. Name "
                    "the key that holds the array of rows",
                    path(), wanted, listed, keys.size() == kMaxListedKeys ? ", ..." : ""));
}

// Walks the members of the top-level object one by one, streaming over the values of other
// keys; a single loop reads best, as the grammar it follows is a single loop.
Status RowCursor::find_key(std::string_view wanted) {
    std::vector<std::string> keys;  // Seen so far, for the message when `wanted` is absent.
    while (true) {
        BULKSCORE_RETURN_IF_ERROR(skip_space());
        if (next_is('}')) {
            return missing_key_error(wanted, keys);
        }
        if (!next_is('"')) {
            return syntax_error("a key in double quotes");
        }
        Result<std::string> name = read_key();
        if (!name.ok()) {
            return name.status();
        }
        BULKSCORE_RETURN_IF_ERROR(skip_space());
        if (!next_is(':')) {
            return syntax_error("':' after a key");
        }
        buffer_.consume_in_line(1);
        BULKSCORE_RETURN_IF_ERROR(skip_space());
        if (buffer_.window().empty()) {
            return syntax_error("a value");
        }
        if (*name == wanted) {
            if (!next_is('[')) {
                return invalid_argument_error(
                    fmt::format("{}: key \"{}\" holds {}, not an array of rows; name the key that "
                                "holds the "
                                "array of rows",
                                place(0), wanted, kind_from_first_byte(buffer_.window().front())));
            }
            return ok_status();
        }
        if (keys.size() < kMaxListedKeys) {
            keys.push_back(std::move(*name));
        }
        BULKSCORE_RETURN_IF_ERROR(skip_value());
        BULKSCORE_RETURN_IF_ERROR(skip_space());
        if (next_is(',')) {
            buffer_.consume_in_line(1);
        } else if (!next_is('}')) {
            return syntax_error("',' or '}' after a value of the top-level object");
        }
    }
}

Status RowCursor::open_at(const SourceOptions& options, const ArrayAnchor& anchor) {
    BULKSCORE_RETURN_IF_ERROR(buffer_.open(options.path, options.read_buffer_bytes));
    anchor_ = anchor;
    return seek({0, anchor.offset, anchor.line});
}

void RowCursor::drop_pending() noexcept {
    if (pending_ > 0) {
        buffer_.consume(pending_);
        pending_ = 0;
        buffer_.shrink();
    }
}

Status RowCursor::advance() {
    drop_pending();
    if (state_ != State::kAfterElement) {
        return ok_status();
    }
    BULKSCORE_RETURN_IF_ERROR(skip_space());
    if (next_is(']')) {
        // Limitation: what follows the rows array (the rest of a wrapper object) is not
        // checked, so damage after the last row goes unnoticed; the rows themselves are whole.
        state_ = State::kEnd;
        return ok_status();
    }
    if (!next_is(',')) {
        return syntax_error("',' or ']' after a row");
    }
    buffer_.consume_in_line(1);
    state_ = State::kAfterComma;
    return skip_space();
}

Result<std::optional<Element>> RowCursor::next() {
    BULKSCORE_RETURN_IF_ERROR(advance());
    if (state_ == State::kEnd) {
        return std::optional<Element>();
    }
    BULKSCORE_RETURN_IF_ERROR(skip_space());
    if (buffer_.window().empty()) {
        return syntax_error("a row or ']'");
    }
    if (next_is(']')) {
        if (state_ == State::kAfterComma) {
            return syntax_error("a row after ',' (a trailing comma is not JSON)");
        }
        state_ = State::kEnd;
        return std::optional<Element>();
    }
    if (next_is(',') || next_is('}') || next_is(':')) {
        return syntax_error("a row");
    }
    Element element;
    element.ordinal = ordinal_;
    element.line = buffer_.line();
    Result<std::size_t> extent = value_extent("the row");
    if (!extent.ok()) {
        return extent.status();
    }
    element.text = buffer_.window().substr(0, *extent);
    pending_ = *extent;
    state_ = State::kAfterElement;
    ++ordinal_;
    return std::optional<Element>(element);
}

Status RowCursor::seek(const SourcePosition& position) {
    if (position.byte_offset < anchor_.offset) {
        return invalid_argument_error(
            fmt::format("{}: cannot resume at byte {}: the rows start at byte {}; "
                        "the position does not "
                        "belong to this input",
                        path(), position.byte_offset, anchor_.offset));
    }
    // The state is the one a fresh read had at this position, found from the byte before it:
    // after a ',' a row must follow, after a row a ',' or ']' must. Guessing instead let a
    // resumed read accept a missing or trailing comma that the fresh read had rejected.
    state_ = State::kFirst;
    if (position.ordinal > 0) {
        Result<char> before = last_byte_before(position.byte_offset);
        if (!before.ok()) {
            return before.status();
        }
        state_ = *before == ',' ? State::kAfterComma : State::kAfterElement;
    }
    BULKSCORE_RETURN_IF_ERROR(buffer_.seek(position.byte_offset, position.line));
    pending_ = 0;
    ordinal_ = position.ordinal;
    return ok_status();
}

Result<char> RowCursor::last_byte_before(std::uint64_t offset) {
    constexpr std::uint64_t kStep = 256;
    std::uint64_t end = offset;
    while (end > anchor_.offset) {
        const std::uint64_t begin = end - std::min(kStep, end - anchor_.offset);
        BULKSCORE_RETURN_IF_ERROR(buffer_.seek(begin, 1));
        const auto wanted = static_cast<std::size_t>(end - begin);
        while (buffer_.window().size() < wanted) {
            Result<bool> more = buffer_.fill();
            if (!more.ok()) {
                return more.status();
            }
            if (!*more) {
                break;
            }
        }
        const std::string_view window = buffer_.window().substr(0, wanted);
        for (std::size_t i = window.size(); i > 0; --i) {
            if (!is_json_space(window[i - 1])) {
                return window[i - 1];
            }
        }
        end = begin;
    }
    return '[';
}

class GscApiSource final : public NodeSource {
public:
    explicit GscApiSource(SourceOptions options) : options_(std::move(options)) {}

    Status open() { return cursor_.open_and_locate(options_, options_.json_rows_key); }

    Status read(NodeBatch& batch, std::size_t max_records) override;
    Result<std::uint64_t> count_records() override;
    SourcePosition position() const noexcept override { return cursor_.position(); }
    Status seek(const SourcePosition& position) override;
    std::string_view description() const noexcept override { return cursor_.path(); }

private:
    Status read_rows(NodeBatch& batch, std::size_t max_records);
    Status add_record(const Element& element, NodeBatch& batch);
    // Maps a row onto `record_`; false when the row was rejected already (a bad
    // `ctr`).
    bool fill_record(const boost::json::object& object, NodeBatch& batch);
    std::string_view row_id(const boost::json::array& keys, std::string_view& url);

    SourceOptions options_;
    RowCursor cursor_;
    RecordParser parser_;
    RecordInput record_;
    std::string id_;                                    // Joined keys of a multi-key row.
    std::array<std::string, kFieldCount + 2> scratch_;  // Per field, then keys, then ctr.
    std::string error_message_;
    Status failure_;  // Met after the records before it were delivered; returned
                      // from now on.
};

Status GscApiSource::read(NodeBatch& batch, std::size_t max_records) {
    batch.clear();
    batch.first_ordinal = cursor_.position().ordinal;
    if (failure_.ok()) {
        try {
            failure_ = read_rows(batch, max_records);
        } catch (const std::exception& error) {
            failure_ = internal_error(
                fmt::format("{}: reading rows failed: {}", cursor_.path(), error.what()));
        }
    }
    batch.end = cursor_.position();
    if (!failure_.ok() && batch.record_count == 0) {
        return failure_;
    }
    return ok_status();
}

Status GscApiSource::read_rows(NodeBatch& batch, std::size_t max_records) {
    while (batch.record_count < max_records) {
        Result<std::optional<Element>> element = cursor_.next();
        if (!element.ok()) {
            return element.status();
        }
        if (!element->has_value()) {
            return ok_status();
        }
        if (Status added = add_record(**element, batch); !added.ok()) {
            cursor_.unread();
            return added;
        }
        ++batch.record_count;
    }
    return cursor_.advance();
}

std::string_view GscApiSource::row_id(const boost::json::array& keys, std::string_view& url) {
    std::string& scratch = scratch_[kFieldCount];
    if (keys.size() == 1) {
        // The url defaults to the id, so a single key needs no url of its own.
        return json_text_field(keys[0], "keys", scratch).text;
    }
    id_.clear();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string_view key = json_text_field(keys[i], "keys", scratch).text;
        if (i > 0) {
            id_ += kKeySeparator;
        }
        id_ += key;
        if (url.empty() && keys[i].is_string() && is_http_url(key)) {
            url = key;  // Points into the parsed row, which outlives `assemble_record`.
        }
    }
    return id_;
}

Status GscApiSource::add_record(const Element& element, NodeBatch& batch) {
    std::size_t error_offset = 0;
    const boost::json::value* row = parser_.parse(element.text, error_offset, error_message_);
    if (row == nullptr) {
        return invalid_argument_error(
            fmt::format("{}: malformed JSON in row {} ({}); fix the file or export it again",
                        cursor_.place(error_offset), element.ordinal, error_message_));
    }
    if (!row->is_object()) {
        return invalid_argument_error(
            fmt::format("{}: row {} is {}, not an object like {{\"keys\": [...], \"clicks\": "
                        "1, "
                        "\"impressions\": 10, \"position\": 3.5}}; check the rows key",
                        cursor_.place(0), element.ordinal, json_kind_name(*row)));
    }
    record_.reset(element.ordinal, element.line);
    if (fill_record(row->get_object(), batch)) {
        assemble_record(record_, DecimalStyle::kPoint, batch);
    }
    return ok_status();
}

bool GscApiSource::fill_record(const boost::json::object& object, NodeBatch& batch) {
    std::string_view id;
    std::string_view url;
    if (const boost::json::value* keys = object.if_contains("keys")) {
        if (keys->is_array()) {
            id = row_id(keys->get_array(), url);
        } else {
            id = json_text_field(*keys, "keys", scratch_[kFieldCount]).text;
        }
    }
    if (!id.empty()) {
        record_[Field::kId] = FieldInput::from_text(id, "keys");
    }
    if (!url.empty()) {
        record_[Field::kUrl] = FieldInput::from_text(url, "keys");
    }
    struct Mapping {
        Field field;
        std::string_view key;
    };
    for (const Mapping& mapping :
         {Mapping{Field::kClicks, "clicks"}, Mapping{Field::kImpressions, "impressions"},
          Mapping{Field::kPosition, "position"}}) {
        FieldInput& field = record_[mapping.field];
        field.column = mapping.key;
        if (const boost::json::value* value = object.if_contains(mapping.key)) {
            field = json_number_field(*value, mapping.key,
                                      scratch_[static_cast<std::size_t>(mapping.field)]);
        }
    }
    // The API's ctr is clicks / impressions, which the score derives itself; a
    // ctr that is not a number still says the row is damaged.
    if (const boost::json::value* ctr = object.if_contains("ctr")) {
        const FieldInput field = json_number_field(*ctr, "ctr", scratch_[kFieldCount + 1]);
        if (!is_number_field(field)) {
            append_rejection(batch, record_.ordinal, record_.line, id, "ctr",
                             RejectReason::kBadNumber, field.text);
            return false;
        }
    }
    return true;
}

// Limitation: counting follows brackets and strings only, so a row that is malformed inside
// but balanced is counted, and reading then stops at it with an error.
Result<std::uint64_t> GscApiSource::count_records() {
    RowCursor counter;
    BULKSCORE_RETURN_IF_ERROR(counter.open_at(options_, cursor_.anchor()));
    std::uint64_t count = 0;
    while (true) {
        Result<std::optional<Element>> element = counter.next();
        if (!element.ok()) {
            return element.status();
        }
        if (!element->has_value()) {
            return count;
        }
        ++count;
    }
}

Status GscApiSource::seek(const SourcePosition& position) {
    failure_ = ok_status();
    return cursor_.seek(position);
}

}  // namespace

Result<std::unique_ptr<NodeSource>> open_gsc_api_source(const SourceOptions& options) {
    auto source = std::make_unique<GscApiSource>(options);
    try {
        BULKSCORE_RETURN_IF_ERROR(source->open());
    } catch (const std::exception& error) {
        return internal_error(
            fmt::format("{}: opening failed: {}", options.path.string(), error.what()));
    }
    return std::unique_ptr<NodeSource>(std::move(source));
}

}  // namespace bulkscore::detail
