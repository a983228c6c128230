#include "source/loader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <system_error>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "source/checksum.hpp"
#include "source/checksum_memo.hpp"
#include "source/listing.hpp"
#include "source/transaction_rules.hpp"

namespace fs = std::filesystem;

namespace strata::source {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

namespace {

size_t digits_at(std::string_view text, size_t at) {
  size_t end = at;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return end - at;
}

// sql-migrate names some sets by date: `2023-01-20.0-initial.sql`, `2023-01-20.1-users.sql`,
// `2023-01-27-wallets.sql`. sql-migrate's own version of all of them would be their first number
// (2023) with the file name as tie-break; strata gives each file a version of its own,
// YYYYMMDD × 1000 + N (N: the number after the date, 0 when there is none, up to 999), so that
// each is a migration of its own, in the order sql-migrate applies them.
std::optional<ParsedFileName> parse_dated_name(std::string_view stem) {
  if (digits_at(stem, 0) != 4 || stem.size() < 10 || stem[4] != '-' || digits_at(stem, 5) != 2 || stem[7] != '-' ||
      digits_at(stem, 8) != 2)
    return std::nullopt;
  auto separator = [&](size_t at) {
    return at == stem.size() || stem[at] == '-' || stem[at] == '_' || stem[at] == '.';
  };
  size_t end = 10;
  int64_t number = 0;
  if (end < stem.size() && (stem[end] == '.' || stem[end] == '-')) {
    const size_t n = digits_at(stem, end + 1);
    if (n > 0 && n <= 3 && separator(end + 1 + n)) {
      number = std::stoll(std::string(stem.substr(end + 1, n)));
      end += 1 + n;
    }
  }
  if (!separator(end)) return std::nullopt;
  ParsedFileName parsed;
  parsed.version_text = std::string(stem.substr(0, end));
  const std::string date =
      std::string(stem.substr(0, 4)) + std::string(stem.substr(5, 2)) + std::string(stem.substr(8, 2));
  parsed.version = std::stoll(date) * 1000 + number;
  parsed.name = end < stem.size() ? std::string(stem.substr(end + 1)) : std::string();
  return parsed;
}

}  // namespace

std::string Migration::label() const {
  std::string version_text = std::to_string(version);
  char separator = '_';
  if (up) {
    size_t digits = up->name.find_first_not_of("0123456789");
    if (std::optional<ParsedFileName> dated = parse_dated_name(up->name.substr(0, up->name.size() - 4))) {
      digits = dated->version_text.size();  // `2023-01-20.1`, as sql-migrate names it
    }
    version_text = up->name.substr(0, digits);
    if (up->name[digits] == '-' || up->name[digits] == '.') separator = up->name[digits];  // as in the file name
  }
  return name.empty() ? version_text : version_text + separator + name;
}

Source::Source(fs::path directory, Dialect dialect, std::vector<Migration> migrations)
    : m_directory(std::move(directory)), m_dialect(dialect), m_migrations(std::move(migrations)) {}

const Migration* Source::find(int64_t version) const {
  auto it = std::lower_bound(m_migrations.begin(), m_migrations.end(), version,
                             [](const Migration& m, int64_t v) { return m.version < v; });
  return it != m_migrations.end() && it->version == version ? &*it : nullptr;
}

std::optional<ParsedFileName> parse_file_name(const std::string& file_name) {
  if (file_name.empty() || file_name[0] == '.' || !ends_with(file_name, ".sql")) return std::nullopt;
  std::string_view stem(file_name);
  stem.remove_suffix(4);

  ParsedFileName parsed;
  auto last_part = [&stem]() -> std::string_view {
    size_t dot = stem.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : stem.substr(dot + 1);
  };
  if (std::optional<Dialect> dialect = parse_dialect(last_part())) {
    parsed.dialect = dialect;
    stem.remove_suffix(last_part().size() + 1);
    if (last_part() != "up" && last_part() != "down") {
      throw SourceError(file_name, 0,
                        "per-dialect migration files must be up/down pairs, e.g. 0001_name.up.postgres.sql");
    }
  }
  if (last_part() == "up" || last_part() == "down") {
    parsed.kind = last_part() == "up" ? ParsedFileName::Kind::up : ParsedFileName::Kind::down;
    stem.remove_suffix(last_part().size() + 1);
  }

  size_t digits = 0;
  while (digits < stem.size() && std::isdigit(static_cast<unsigned char>(stem[digits]))) ++digits;
  if (digits == 0 || (digits < stem.size() && stem[digits] != '_' && stem[digits] != '-')) {
    throw SourceError(file_name, 0,
                      "not a migration file name: expected VERSION_name.up.sql, VERSION_name.down.sql "
                      "or VERSION_name.sql with a numeric VERSION");
  }
  // sql-migrate names its files VERSION-name.sql; golang-migrate's pairs always have `_`, and
  // reading `1-a.up.sql` as either would guess at what its author meant.
  if (digits < stem.size() && stem[digits] == '-' && parsed.kind != ParsedFileName::Kind::single) {
    std::string suggested = file_name;
    suggested[digits] = '_';
    throw SourceError(file_name, 0,
                      fmt::format("a dash after the version is for single files (VERSION-name.sql, as sql-migrate "
                                  "names them); name up/down files with an underscore: {}",
                                  suggested));
  }
  if (parsed.kind == ParsedFileName::Kind::single) {
    if (std::optional<ParsedFileName> dated = parse_dated_name(stem)) return dated;
  }
  parsed.version_text = std::string(stem.substr(0, digits));
  std::string_view significant = stem.substr(0, digits);
  while (significant.size() > 1 && significant.front() == '0') significant.remove_prefix(1);
  static const std::string k_max = std::to_string(std::numeric_limits<int64_t>::max());
  if (significant.size() > k_max.size() || (significant.size() == k_max.size() && significant > k_max)) {
    throw SourceError(file_name, 0, fmt::format("version {} is out of range (maximum {})", parsed.version_text, k_max));
  }
  parsed.version = std::stoll(std::string(significant));  // 0 is a version (golang-migrate's first)
  parsed.name = digits < stem.size() ? std::string(stem.substr(digits + 1)) : std::string();
  return parsed;
}

namespace {

constexpr size_t k_chunk_size = 256 * 1024;

// Refuses a NUL byte (drivers take C strings: SQL after a NUL byte would be cut off silently by
// libpq, or misread) at byte `at` of a file, with the line it is on; `line_of` counts the lines
// up to it (rare, so it may read the file again).
template <typename LineOf>
void refuse_nul(std::string_view chunk, uint64_t offset, const std::string& display_name, LineOf&& line_of) {
  if (size_t nul = chunk.find('\0'); nul != std::string_view::npos) {
    throw SourceError(display_name, line_of(offset + nul), "contains a NUL byte (not a text file)");
  }
}

// Reads a file in chunks, handing each to `consume`; refuses NUL bytes. The buffer is sized to
// the file, so the many small files of a drift check cost one read each.
template <typename Consume>
void read_chunks(const std::string& path, const std::string& display_name, Consume&& consume) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SourceError(display_name, 0, fmt::format("cannot read file: {}", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  size_t size = k_chunk_size;
  bool regular = false;
  if (::fstat(fd, &info) == 0 && info.st_size >= 0) {
    size = std::min(k_chunk_size, static_cast<size_t>(info.st_size) + 1);  // +1: sees the end at once
    regular = S_ISREG(info.st_mode);
  }
  std::unique_ptr<char[]> buffer(new char[size]);
  uint64_t offset = 0;
  auto line_of = [&](uint64_t at) {
    int line = 1;
    std::ifstream again(path, std::ios::binary);
    for (uint64_t i = 0; i < at && again; ++i) line += again.get() == '\n' ? 1 : 0;
    return line;
  };
  for (;;) {
    const ssize_t got = ::read(fd, buffer.get(), size);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw SourceError(display_name, 0, fmt::format("cannot read file: {}", std::strerror(errno)));
    }
    if (got == 0) break;
    std::string_view chunk(buffer.get(), static_cast<size_t>(got));
    refuse_nul(chunk, offset, display_name, line_of);
    consume(chunk);
    offset += static_cast<uint64_t>(got);
    // A regular file reads short only at its end: no second read() to be told so.
    if (regular && static_cast<size_t>(got) < size) break;
  }
}

// read_chunks() for a migration file: from memory for a compiled-in file, in the same chunks.
template <typename Consume>
void read_chunks(const MigrationFile& file, Consume&& consume) {
  if (!file.bytes) return read_chunks(file.path, file.name, std::forward<Consume>(consume));
  const std::string_view bytes = *file.bytes;
  auto line_of = [&](uint64_t at) {
    return 1 + static_cast<int>(std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  };
  for (size_t offset = 0; offset < bytes.size(); offset += k_chunk_size) {
    const std::string_view chunk = bytes.substr(offset, k_chunk_size);
    refuse_nul(chunk, offset, file.name, line_of);
    consume(chunk);
  }
}

}  // namespace

std::string read_file(const fs::path& path, const std::string& display_name) {
  std::string text;
  read_chunks(path.string(), display_name, [&](std::string_view chunk) { text += chunk; });
  return text;
}

std::string file_checksum(const MigrationFile& file) {
  TextChecksum hash;
  read_chunks(file, [&](std::string_view chunk) { hash.update(chunk); });
  return hash.hex_digest();
}

uintmax_t file_size(const MigrationFile& file, std::error_code& error) {
  if (file.bytes) return file.bytes->size();
  return fs::file_size(file.path, error);
}

std::string raw_file_checksum(const MigrationFile& file) {
  Sha256 hash;
  read_chunks(file, [&](std::string_view chunk) { hash.update(chunk); });
  return hash.hex_digest();
}

StreamedFile stream_migration_file(const MigrationFile& file, bool single_file, Dialect dialect,
                                   const MigrationSplitter::Sink& sink) {
  MigrationSplitter splitter(
      single_file ? MigrationSplitter::Layout::single_file : MigrationSplitter::Layout::pair_file, file.name, dialect,
      sink);
  TextChecksum hash;
  read_chunks(file, [&](std::string_view chunk) {
    hash.update(chunk);
    splitter.feed(chunk);
  });
  splitter.finish();
  StreamedFile streamed;
  streamed.checksum = hash.hex_digest();
  streamed.up_transaction = splitter.transaction(Direction::up);
  streamed.down_transaction = splitter.transaction(Direction::down);
  streamed.up_blocker = splitter.blocker(Direction::up);
  streamed.down_blocker = splitter.blocker(Direction::down);
  streamed.has_down = splitter.has_down();
  return streamed;
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A name that is almost a migration's: returns the warning for one that is not read (a copy,
// a sub-folder of .sql files), throws SourceError for one that would be read wrongly or
// skipped although it is meant as a migration (an upper-case extension or direction).
// `entry` is nullptr for a compiled-in file.
std::optional<std::string> near_miss(const fs::path& directory, const std::string& name,
                                     const fs::directory_entry* entry) {
  if (name.empty() || name[0] == '.') return std::nullopt;
  std::error_code ec;
  if (entry && entry->is_directory(ec) && !ends_with(name, ".sql")) {  // one named like a file: "is not a regular file"
    size_t count = 0;
    for (fs::directory_iterator it(entry->path(), ec), end; !ec && it != end; it.increment(ec)) {
      if (ends_with(lower(it->path().filename().string()), ".sql")) ++count;
    }
    if (count == 0) return std::nullopt;
    return fmt::format(
        "{}/ holds {} .sql file{} that strata does not read: migrations must be directly in {} (sub-folders are not "
        "searched)",
        name, count, count == 1 ? "" : "s", directory.string());
  }
  if (!std::isdigit(static_cast<unsigned char>(name[0]))) return std::nullopt;
  const std::string folded = lower(name);
  if (!ends_with(name, ".sql") && ends_with(folded, ".sql")) {
    throw SourceError(
        name, 0,
        fmt::format("migration files end in .sql in lower case: rename it to {}.sql", name.substr(0, name.size() - 4)));
  }
  if (!ends_with(folded, ".sql")) {
    for (std::string_view copy : {".sql.", ".sql~", ".sql-", ".sql_"}) {
      if (folded.find(copy) != std::string::npos) {
        return fmt::format(
            "{} is not read: it looks like a copy of a migration file (only names ending in .sql are "
            "read)",
            name);
      }
    }
    return std::nullopt;
  }
  // `.UP.sql`, `.Down.sql`, `.up.Postgres.sql`: a direction or dialect in the wrong case would make
  // it a single file with an odd name.
  std::string_view stem(name);
  stem.remove_suffix(4);
  std::string fixed;
  for (int part = 0; part < 2; ++part) {
    const size_t dot = stem.rfind('.');
    if (dot == std::string_view::npos) break;
    const std::string word(stem.substr(dot + 1));
    const std::string low = lower(word);
    const bool known = low == "up" || low == "down" || parse_dialect(low).has_value();
    if (!known) break;
    if (word != low) fixed = std::string(stem.substr(0, dot)) + "." + low;
    stem = stem.substr(0, dot);
    if (low == "up" || low == "down") break;
  }
  if (!fixed.empty()) {
    std::string suggestion = lower(name);
    suggestion.replace(0, stem.size(), name.substr(0, stem.size()));
    throw SourceError(
        name, 0,
        fmt::format("the direction and dialect in a migration file name are lower case: rename it to {}", suggestion));
  }
  return std::nullopt;
}

}  // namespace

Source load_source(const fs::path& directory, Dialect dialect) {
  auto cannot_read = [&](int error) {
    return UsageError(fmt::format("cannot read migrations directory {} (--path / STRATA_PATH): {}", directory.string(),
                                  std::strerror(error)));
  };
  // readdir() itself, not std::filesystem: an entry keeps the type readdir() gave, so a regular
  // file costs no stat() and no path object here (the listing is a large part of a no-op).
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), &::closedir);
  if (!dir) throw cannot_read(errno);
  std::vector<ListedEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) throw cannot_read(errno);
      break;
    }
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.push_back({std::move(name), entry->d_type == DT_REG, {}});
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return assemble_source(directory, dialect, entries);
}

Source assemble_source(const fs::path& directory, Dialect dialect, const std::vector<ListedEntry>& entries) {
  std::error_code ec;
  // version → [up plain, up dialect, down plain, down dialect, single]
  std::map<int64_t, std::array<std::vector<std::pair<ParsedFileName, const ListedEntry*>>, 5>> files;
  std::vector<std::string> warnings;
  for (const ListedEntry& listed : entries) {
    const std::string& name = listed.name;
    // Only an entry that is not plainly a regular file is looked at on disk.
    std::optional<fs::directory_entry> looked_at;
    if (!listed.regular) looked_at.emplace(directory / name, ec);
    const fs::directory_entry* entry = looked_at ? &*looked_at : nullptr;
    if (std::optional<std::string> warning = near_miss(directory, name, entry)) {
      warnings.push_back(std::move(*warning));
      continue;
    }
    // goose's Go migrations would otherwise vanish from the sequence without a word.
    if (ends_with(name, ".go") && !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) &&
        name.find('_') != std::string::npos) {
      throw SourceError(name, 0,
                        "Go migrations are not supported: rewrite it as SQL (VERSION_name.sql with -- +goose Up / "
                        "-- +goose Down)");
    }
    std::optional<ParsedFileName> parsed = parse_file_name(name);
    if (!parsed) continue;
    if (entry) {
      fs::path path = directory / name;
      if (entry->is_symlink(ec) && !fs::exists(path, ec)) {
        throw SourceError(
            name, 0,
            fmt::format("is a symbolic link to {}, which does not exist", fs::read_symlink(path, ec).string()));
      }
      if (!entry->is_regular_file(ec)) {
        throw SourceError(name, 0, "is not a regular file (migrations must be files directly in the directory)");
      }
    }
    if (parsed->dialect && *parsed->dialect != dialect) continue;  // another dialect's file
    size_t slot = 4;
    if (parsed->kind != ParsedFileName::Kind::single) {
      slot = (parsed->kind == ParsedFileName::Kind::down ? 2 : 0) + (parsed->dialect ? 1 : 0);
    }
    files[parsed->version][slot].emplace_back(*parsed, &listed);
  }
  std::string prefix = directory.string();  // as directory / name would join them
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  auto file_of = [&](const ListedEntry* listed) { return MigrationFile{listed->name, prefix + listed->name, listed->bytes}; };

  std::vector<Migration> migrations;
  migrations.reserve(files.size());
  for (auto& [version, slots] : files) {
    auto duplicate = [version = version](const std::vector<std::string>& clash) {
      throw SourceError(fmt::format("duplicate migration version {}: {}", version, fmt::join(clash, ", ")));
    };
    for (size_t slot_index = 0; slot_index < 4; ++slot_index) {
      const auto& slot = slots[slot_index];
      if (slot.size() > 1) {
        std::vector<std::string> clash;
        for (const auto& [parsed, file] : slot) clash.push_back(file->name);
        duplicate(clash);
      }
    }
    const auto* single = slots[4].empty() ? nullptr : &slots[4].front();
    const auto* up = !slots[1].empty() ? &slots[1].front() : !slots[0].empty() ? &slots[0].front() : nullptr;
    const auto* down = !slots[3].empty() ? &slots[3].front() : !slots[2].empty() ? &slots[2].front() : nullptr;
    if (single && (up || down)) duplicate({(up ? up : down)->second->name, single->second->name});

    Migration migration;
    migration.version = version;
    if (single) {
      migration.name = single->first.name;
      migration.single_file = true;
      migration.up = file_of(single->second);
      migration.down = migration.up;
      // Single files sharing a version are one version, as sql-migrate orders them: by name.
      if (slots[4].size() > 1) {
        for (const auto& [parsed, file] : slots[4]) migration.parts.push_back(file_of(file));
      }
    } else {
      if (!up) {
        throw SourceError(down->second->name, 0,
                          fmt::format("down migration without an up migration (expected {}_{}.up.sql)",
                                      down->first.version_text, down->first.name));
      }
      migration.name = up->first.name;
      migration.up = file_of(up->second);
      if (down) migration.down = file_of(down->second);
    }
    migrations.push_back(std::move(migration));
  }
  Source source(directory, dialect, std::move(migrations));
  for (std::string& warning : warnings) source.add_warning(std::move(warning));
  return source;
}

bool has_down_section(const Migration& migration, Dialect dialect) {
  if (!migration.single_file) return migration.down.has_value();
  if (!migration.parts.empty()) return !parse_script(migration, Direction::down, dialect).file.empty();
  return !parse_migration(migration, dialect).down.file.empty();
}

const MigrationFile* script_file(const Migration& migration, Direction direction) {
  if (direction == Direction::up) return &*migration.up;
  return migration.down ? &*migration.down : nullptr;
}

std::vector<const MigrationFile*> script_files(const Migration& migration, Direction direction) {
  std::vector<const MigrationFile*> files;
  if (migration.parts.empty()) {
    if (const MigrationFile* file = script_file(migration, direction)) files.push_back(file);
    return files;
  }
  for (const MigrationFile& part : migration.parts) files.push_back(&part);
  if (direction == Direction::down) std::reverse(files.begin(), files.end());
  return files;
}

namespace {

std::string parts_checksum(const std::vector<MigrationFile>& parts,
                           const std::function<std::string(size_t)>& part_checksum) {
  Sha256 listing;
  for (size_t index = 0; index < parts.size(); ++index) {
    listing.update(fmt::format("{}  {}\n", part_checksum(index), parts[index].name));
  }
  return listing.hex_digest();
}

// stream_script() for a version of several parts: each part's section in the direction's
// order, as if the parts were one file.
Script stream_parts(const Migration& migration, Direction wanted, Dialect dialect,
                    const std::function<void(Statement&&)>& sink) {
  const bool up = wanted == Direction::up;
  const size_t count = migration.parts.size();
  Script script;
  std::vector<std::string> checksums(count);
  bool has_section = false;
  for (size_t step = 0; step < count; ++step) {
    const size_t index = up ? step : count - 1 - step;
    const MigrationFile& part = migration.parts[index];
    StreamedFile streamed = stream_migration_file(part, true, dialect, [&](Direction direction, Statement&& statement) {
      if (direction != wanted) return;
      statement.part = index;
      sink(std::move(statement));
    });
    checksums[index] = streamed.checksum;
    if (!up && !streamed.has_down) continue;  // this part reverts as nothing
    // One step: in a transaction only when every part that runs asks for one.
    script.section.transaction &= up ? streamed.up_transaction : streamed.down_transaction;
    if (!has_section) script.file = part.name;
    has_section = true;
  }
  for (const MigrationFile& part : migration.parts) script.parts.push_back(part.name);
  if (!has_section) {
    script.file.clear();
    return script;
  }
  script.checksum = parts_checksum(migration.parts, [&](size_t index) { return checksums[index]; });
  return script;
}

}  // namespace

std::string Source::checksum(const Migration& migration) const {
  return m_checksum_memo ? m_checksum_memo->migration_checksum(migration) : migration_checksum(migration);
}

std::string migration_checksum(const Migration& migration) {
  if (migration.parts.empty()) return file_checksum(*migration.up);
  return parts_checksum(migration.parts, [&](size_t index) { return file_checksum(migration.parts[index]); });
}

Script stream_script(const Migration& migration, Direction direction, Dialect dialect,
                     const std::function<void(Statement&&)>& sink) {
  if (!migration.parts.empty()) return stream_parts(migration, direction, dialect, sink);
  const bool up = direction == Direction::up;
  Script script;
  const MigrationFile* file = script_file(migration, direction);
  if (file == nullptr) return script;  // a pair without a down file
  const Direction wanted = up || !migration.single_file ? Direction::up : Direction::down;
  StreamedFile streamed =
      stream_migration_file(*file, migration.single_file, dialect, [&](Direction of, Statement&& statement) {
        if (of == wanted) sink(std::move(statement));
      });
  if (!up && migration.single_file && !streamed.has_down) {
    script.section.transaction = streamed.down_transaction;  // the up section's annotations
    return script;
  }
  script.file = file->name;
  script.checksum = streamed.checksum;
  const bool want_up = wanted == Direction::up;
  script.section.transaction = want_up ? streamed.up_transaction : streamed.down_transaction;
  script.section.blocker = want_up ? streamed.up_blocker : streamed.down_blocker;
  return script;
}

Script parse_script(const Migration& migration, Direction direction, Dialect dialect) {
  std::vector<Statement> statements;
  Script script = stream_script(migration, direction, dialect,
                                [&](Statement&& statement) { statements.push_back(std::move(statement)); });
  script.section.statements = std::move(statements);
  return script;
}

bool may_leave_transaction(const MigrationFile& file, Dialect dialect) {
  std::vector<std::string_view> words = transaction_blocker_words(dialect);
  words.emplace_back("transaction");
  words.emplace_back("commit");  // a file that ends transactions of its own (OwnTransactions)
  size_t longest = 0;
  for (std::string_view word : words) longest = std::max(longest, word.size());
  bool found = false;
  std::string text;  // the end of the previous chunk (for a word split across two), then this chunk, lower-cased
  read_chunks(file, [&](std::string_view chunk) {
    if (found) return;
    text.erase(0, text.size() - std::min(text.size(), longest - 1));
    const size_t from = text.size();
    text += chunk;
    std::transform(text.begin() + static_cast<std::ptrdiff_t>(from), text.end(),
                   text.begin() + static_cast<std::ptrdiff_t>(from),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    found = std::any_of(words.begin(), words.end(),
                        [&](std::string_view word) { return text.find(word) != std::string::npos; });
  });
  return found;
}

ParsedMigration parse_migration(const Migration& migration, Dialect dialect) {
  ParsedMigration parsed;
  if (!migration.parts.empty()) {
    parsed.up = parse_script(migration, Direction::up, dialect);
    parsed.down = parse_script(migration, Direction::down, dialect);
    return parsed;
  }
  if (migration.single_file) {
    const MigrationFile& file = *migration.up;
    StreamedFile streamed = stream_migration_file(file, true, dialect, [&](Direction direction, Statement&& statement) {
      (direction == Direction::up ? parsed.up : parsed.down).section.statements.push_back(std::move(statement));
    });
    parsed.up.file = file.name;
    parsed.up.checksum = streamed.checksum;
    parsed.up.section.transaction = streamed.up_transaction;
    parsed.up.section.blocker = streamed.up_blocker;
    parsed.down.section.transaction = streamed.down_transaction;  // without a Down: the up section's annotations
    if (streamed.has_down) {
      parsed.down.file = file.name;
      parsed.down.checksum = streamed.checksum;
      parsed.down.section.blocker = streamed.down_blocker;
    } else {
      parsed.down.section.statements.clear();
    }
    return parsed;
  }
  auto parse_pair = [&](const MigrationFile& file, Script& script) {
    StreamedFile streamed = stream_migration_file(file, false, dialect, [&](Direction, Statement&& statement) {
      script.section.statements.push_back(std::move(statement));
    });
    script.file = file.name;
    script.checksum = streamed.checksum;
    script.section.transaction = streamed.up_transaction;
    script.section.blocker = streamed.up_blocker;
  };
  parse_pair(*migration.up, parsed.up);
  if (migration.down) parse_pair(*migration.down, parsed.down);
  return parsed;
}

}  // namespace strata::source
