#include "source/parser.hpp"

#include <optional>
#include <utility>

#include "core/error.hpp"
#include "source/lexer.hpp"
#include "source/transaction_rules.hpp"

namespace strata::source {

namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) noexcept {
  std::size_t begin = 0;
  while (begin < text.size() && is_blank(text[begin])) ++begin;
  std::size_t end = text.size();
  while (end > begin && is_blank(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Splits at blanks and, when `commas` is set, at commas too; empty pieces are dropped.
std::vector<std::string_view> split_words(std::string_view text, bool commas) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (is_blank(text[i]) || (commas && text[i] == ','))) ++i;
    std::size_t begin = i;
    while (i < text.size() && !is_blank(text[i]) && !(commas && text[i] == ',')) ++i;
    if (i > begin) words.push_back(text.substr(begin, i - begin));
  }
  return words;
}

struct Annotation {
  enum class Kind { up, down, statement_begin, statement_end, no_transaction };
  Kind kind = Kind::up;
  std::string text;               // as written after `--`, for messages
  bool no_transaction = false;    // up/down: this section runs outside a transaction
  std::vector<Dialect> dialects;  // statement_begin: the dialects it applies to; empty = all
};

// Reads `-- +strata|+goose|+migrate <keyword> …` and dbmate's `-- migrate:up|down …`.
// Returns nullopt for any other line (ordinary comments included); throws SourceError for a
// line that uses one of these prefixes with something strata does not know, because silently
// ignoring e.g. `+goose ENVSUB ON` would run the migration differently than its author meant.
std::optional<Annotation> parse_annotation(std::string_view line_text, const std::string& file, int line) {
  std::string_view text = trim(line_text);
  if (text.size() < 2 || text[0] != '-' || text[1] != '-') return std::nullopt;
  text = trim(text.substr(2));
  Annotation annotation;
  annotation.text = std::string(text);
  auto unknown = [&]() { return SourceError(file, line, "unknown annotation '" + annotation.text + "'"); };

  if (!text.empty() && text[0] == '+') {
    std::vector<std::string_view> words = split_words(text, false);
    const std::string prefix = lower(words[0]);
    if (prefix != "+strata" && prefix != "+goose" && prefix != "+migrate") return std::nullopt;
    if (words.size() < 2) throw unknown();
    const std::string keyword = lower(words[1]);
    if (keyword == "up" || keyword == "down") {
      annotation.kind = keyword == "up" ? Annotation::Kind::up : Annotation::Kind::down;
      for (std::size_t i = 2; i < words.size(); ++i) {
        if (lower(words[i]) != "notransaction") throw unknown();
        annotation.no_transaction = true;
      }
    } else if (keyword == "statementbegin") {
      annotation.kind = Annotation::Kind::statement_begin;
      const std::size_t list_start = words[1].data() + words[1].size() - text.data();
      for (std::string_view name : split_words(text.substr(list_start), true)) {
        std::optional<Dialect> dialect = parse_dialect(lower(name));
        if (!dialect) {
          throw SourceError(file, line, "unknown dialect '" + std::string(name) + "' in StatementBegin");
        }
        annotation.dialects.push_back(*dialect);
      }
    } else if (keyword == "statementend" && words.size() == 2) {
      annotation.kind = Annotation::Kind::statement_end;
    } else if ((keyword == "notransaction" && words.size() == 2) ||
               (keyword == "no" && words.size() == 3 && lower(words[2]) == "transaction")) {
      annotation.kind = Annotation::Kind::no_transaction;
    } else {
      throw unknown();
    }
    return annotation;
  }

  // mattermost's morph marks a file that must run outside a transaction.
  if (lower(text) == "morph:nontransactional") {
    annotation.kind = Annotation::Kind::no_transaction;
    return annotation;
  }

  constexpr std::string_view k_dbmate = "migrate:";
  if (text.size() <= k_dbmate.size() || lower(text.substr(0, k_dbmate.size())) != k_dbmate ||
      is_blank(text[k_dbmate.size()]))
    return std::nullopt;
  std::vector<std::string_view> words = split_words(text, false);
  const std::string keyword = lower(words[0]);
  if (keyword == "migrate:up") {
    annotation.kind = Annotation::Kind::up;
  } else if (keyword == "migrate:down") {
    annotation.kind = Annotation::Kind::down;
  } else {
    throw unknown();
  }
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string option = lower(words[i]);
    if (option == "transaction:false") {
      annotation.no_transaction = true;
    } else if (option == "transaction:true") {
      annotation.no_transaction = false;
    } else {
      throw SourceError(file, line, "unknown dbmate option '" + std::string(words[i]) + "'");
    }
  }
  return annotation;
}

bool contains(const std::vector<Dialect>& dialects, Dialect dialect) {
  for (Dialect d : dialects) {
    if (d == dialect) return true;
  }
  return false;
}

}  // namespace

struct MigrationSplitter::Impl {
  // Which part of the file the lines being read belong to; `preamble` is the text before the
  // first Up of a single file, where only comments and blank lines are allowed.
  enum class Part { preamble, up, down };

  Impl(Layout layout, std::string file, Dialect dialect, Sink sink)
      : m_layout(layout),
        m_file(std::move(file)),
        m_dialect(dialect),
        m_sink(std::move(sink)),
        m_splitter(dialect, m_file, [this](Statement&& statement) { deliver(std::move(statement)); }),
        m_part(layout == Layout::pair_file ? Part::up : Part::preamble) {}

  void feed_line(std::string_view text);
  void handle(const Annotation& annotation, int line);
  void deliver(Statement&& statement);
  void classify(Direction direction, const Statement& statement);
  bool annotated_transaction(Direction direction) const noexcept;
  void close_block();
  void finish();

  Layout m_layout;
  std::string m_file;
  Dialect m_dialect;
  Sink m_sink;
  StatementSplitter m_splitter;
  std::string m_partial;  // an incomplete line carried between feed() calls
  int m_line = 0;
  Part m_part;
  int m_up_line = 0;
  int m_down_line = 0;
  int m_preamble_statement_line = 0;
  bool m_file_no_transaction = false;
  bool m_up_no_transaction = false;
  bool m_down_no_transaction = false;
  // Per direction (up, down): the first statement that cannot run in a transaction, and whether
  // any other statement was seen.
  std::optional<TransactionBlocker> m_blockers[2];
  bool m_ordinary[2] = {false, false};

  bool m_in_block = false;
  bool m_block_applies = false;  // the block's dialect list includes ours
  int m_block_line = 0;          // line of the StatementBegin
  int m_block_first_line = 0;    // first non-blank line inside the block
  std::string m_block_text;
};

void MigrationSplitter::Impl::deliver(Statement&& statement) {
  switch (m_part) {
    case Part::preamble:
      if (m_preamble_statement_line == 0) m_preamble_statement_line = statement.line;
      return;
    case Part::up:
      classify(Direction::up, statement);
      m_sink(Direction::up, std::move(statement));
      return;
    case Part::down:
      classify(Direction::down, statement);
      m_sink(Direction::down, std::move(statement));
      return;
  }
}

void MigrationSplitter::Impl::classify(Direction direction, const Statement& statement) {
  const auto index = static_cast<std::size_t>(direction);
  if (std::optional<std::string> why = transaction_blocker(statement.sql, m_dialect)) {
    if (!m_blockers[index]) m_blockers[index] = TransactionBlocker{statement.line, std::move(*why), false};
  } else {
    m_ordinary[index] = true;
  }
}

bool MigrationSplitter::Impl::annotated_transaction(Direction direction) const noexcept {
  if (m_file_no_transaction) return false;
  // Without a Down annotation, the (empty) down direction has the up direction's annotations.
  if (direction == Direction::down && m_layout == Layout::single_file && m_down_line == 0) direction = Direction::up;
  return direction == Direction::up ? !m_up_no_transaction : !m_down_no_transaction;
}

void MigrationSplitter::Impl::close_block() {
  m_in_block = false;
  if (!m_block_applies || m_block_first_line == 0) return;
  std::string_view sql = trim(m_block_text);
  if (!sql.empty() && sql.back() == ';') sql = trim(sql.substr(0, sql.size() - 1));
  if (!sql.empty()) deliver(Statement{std::string(sql), m_block_first_line});
  m_block_text.clear();
}

void MigrationSplitter::Impl::feed_line(std::string_view text) {
  ++m_line;
  if (m_line == 1 && text.substr(0, k_bom.size()) == k_bom) text.remove_prefix(k_bom.size());
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);

  if (m_in_block) {
    std::optional<Annotation> annotation = parse_annotation(text, m_file, m_line);
    if (annotation) {
      handle(*annotation, m_line);
      return;
    }
    if (!m_block_applies) return;
    if (m_block_first_line == 0) {
      if (trim(text).empty()) return;
      m_block_first_line = m_line;
    }
    m_block_text.append(text);
    m_block_text.push_back('\n');
    return;
  }
  // Annotation lines are only looked for between tokens: inside a string, comment or dollar
  // quote such a line is data.
  if (m_splitter.between_tokens()) {
    std::optional<Annotation> annotation = parse_annotation(text, m_file, m_line);
    if (annotation) {
      handle(*annotation, m_line);
      return;
    }
  }
  m_splitter.feed_line(text, m_line);
}

void MigrationSplitter::Impl::handle(const Annotation& annotation, int line) {
  using Kind = Annotation::Kind;
  const bool up_or_down = annotation.kind == Kind::up || annotation.kind == Kind::down;
  if (m_in_block) {
    if (annotation.kind == Kind::statement_end) {
      close_block();
      return;
    }
    if (up_or_down) {
      throw SourceError(m_file, m_block_line, "unterminated StatementBegin block started here");
    }
    throw SourceError(m_file, line, "'" + annotation.text + "' is not allowed inside a StatementBegin block");
  }
  if (up_or_down && m_layout == Layout::pair_file) {
    throw SourceError(m_file, line, "Up/Down annotation is only allowed in single-file migrations");
  }

  switch (annotation.kind) {
    case Kind::up:
      if (m_up_line != 0) {
        throw SourceError(m_file, line, "duplicate Up annotation (first at line " + std::to_string(m_up_line) + ")");
      }
      m_splitter.finish();
      if (m_preamble_statement_line != 0) {
        throw SourceError(m_file, m_preamble_statement_line, "statement before the first Up annotation");
      }
      m_part = Part::up;
      m_up_line = line;
      m_up_no_transaction = annotation.no_transaction;
      return;
    case Kind::down:
      if (m_down_line != 0) {
        throw SourceError(m_file, line,
                          "duplicate Down annotation (first at line " + std::to_string(m_down_line) + ")");
      }
      if (m_up_line == 0) throw SourceError(m_file, line, "Down annotation before the Up annotation");
      m_splitter.finish();
      m_part = Part::down;
      m_down_line = line;
      m_down_no_transaction = annotation.no_transaction;
      return;
    case Kind::statement_begin:
      // Text not yet ended by a delimiter is a statement of its own, as goose treats it.
      m_splitter.end_statement();
      if (m_part == Part::preamble && m_preamble_statement_line == 0) {
        m_preamble_statement_line = line;
      }
      m_in_block = true;
      m_block_applies = annotation.dialects.empty() || contains(annotation.dialects, m_dialect);
      m_block_line = line;
      m_block_first_line = 0;
      m_block_text.clear();
      return;
    case Kind::statement_end: throw SourceError(m_file, line, "StatementEnd without StatementBegin");
    case Kind::no_transaction: m_file_no_transaction = true; return;
  }
}

void MigrationSplitter::Impl::finish() {
  if (!m_partial.empty()) {
    std::string last = std::move(m_partial);
    m_partial.clear();
    feed_line(last);
  }
  if (m_in_block) {
    throw SourceError(m_file, m_block_line, "unterminated StatementBegin block started here");
  }
  m_splitter.finish();
  if (m_layout == Layout::single_file && m_up_line == 0) {
    throw SourceError(m_file, 0, "no Up annotation");
  }
}

MigrationSplitter::MigrationSplitter(Layout layout, std::string file, Dialect dialect, Sink sink)
    : m_impl(std::make_unique<Impl>(layout, std::move(file), dialect, std::move(sink))) {}

MigrationSplitter::~MigrationSplitter() = default;
MigrationSplitter::MigrationSplitter(MigrationSplitter&&) noexcept = default;
MigrationSplitter& MigrationSplitter::operator=(MigrationSplitter&&) noexcept = default;

void MigrationSplitter::feed(std::string_view chunk) {
  Impl& impl = *m_impl;
  while (!chunk.empty()) {
    const std::size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      impl.m_partial.append(chunk);
      return;
    }
    if (impl.m_partial.empty()) {
      impl.feed_line(chunk.substr(0, newline));
    } else {
      impl.m_partial.append(chunk.substr(0, newline));
      std::string line = std::move(impl.m_partial);
      impl.m_partial.clear();
      impl.feed_line(line);
    }
    chunk.remove_prefix(newline + 1);
  }
}

void MigrationSplitter::finish() {
  m_impl->finish();
}

bool MigrationSplitter::transaction(Direction direction) const noexcept {
  return m_impl->annotated_transaction(direction) && !m_impl->m_blockers[static_cast<std::size_t>(direction)];
}

std::optional<TransactionBlocker> MigrationSplitter::blocker(Direction direction) const {
  const auto index = static_cast<std::size_t>(direction);
  if (!m_impl->annotated_transaction(direction) || !m_impl->m_blockers[index]) return std::nullopt;
  TransactionBlocker blocker = *m_impl->m_blockers[index];
  blocker.mixed = m_impl->m_ordinary[index];
  return blocker;
}

bool MigrationSplitter::has_down() const noexcept {
  return m_impl->m_down_line != 0;
}

Section parse_pair_file(std::string_view text, const std::string& file, Dialect dialect) {
  Section section;
  MigrationSplitter splitter(
      MigrationSplitter::Layout::pair_file, file, dialect,
      [&](Direction, Statement&& statement) { section.statements.push_back(std::move(statement)); });
  splitter.feed(text);
  splitter.finish();
  section.transaction = splitter.transaction(Direction::up);
  section.blocker = splitter.blocker(Direction::up);
  return section;
}

SingleFileSections parse_single_file(std::string_view text, const std::string& file, Dialect dialect) {
  SingleFileSections sections;
  MigrationSplitter splitter(MigrationSplitter::Layout::single_file, file, dialect,
                             [&](Direction direction, Statement&& statement) {
                               Section& section = direction == Direction::up ? sections.up : sections.down;
                               section.statements.push_back(std::move(statement));
                             });
  splitter.feed(text);
  splitter.finish();
  sections.up.transaction = splitter.transaction(Direction::up);
  sections.up.blocker = splitter.blocker(Direction::up);
  sections.down.transaction = splitter.transaction(Direction::down);
  sections.down.blocker = splitter.blocker(Direction::down);
  sections.has_down = splitter.has_down();
  return sections;
}

}  // namespace strata::source
