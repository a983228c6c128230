#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/dialect.hpp"
#include "source/parser.hpp"

namespace strata {
struct EmbeddedMigrations;
}

namespace strata::source {

class ChecksumMemo;

// A file of the migrations directory that holds one or both directions of a migration.
struct MigrationFile {
  std::string name;            // file name as listed, e.g. "0003_add_email.up.sql"
  std::string path;  // directory/name (for a compiled-in file only a label: nothing reads it)
  // A compiled-in file's bytes (load_embedded), which live as long as the program; nullopt for a
  // file on disk, which is read from `path` each time it is needed.
  std::optional<std::string_view> bytes;
};

// One version of the source, for one dialect: the files that hold its up and down sections.
// Single-file migrations have `single_file` set and the same file in both.
struct Migration {
  int64_t version = 0;
  std::string name;                 // "add_email"
  std::optional<MigrationFile> up;  // always set once loaded
  // The file holding the down direction: the pair's .down file, or for single files the same
  // file as `up` (which may still have no Down section: see has_down_section()).
  std::optional<MigrationFile> down;
  bool single_file = false;
  // Single files that share this version's numeric prefix (sql-migrate's `1-a.sql` and
  // `1_b.sql`), two or more, in file-name order: one version whose parts run as one step.
  // `up`, `down` and `name` are the first part's. Empty for a version of one file or a pair.
  std::vector<MigrationFile> parts;
  // "0003_add_email" style label for messages, using the up file's spelling of the version.
  std::string label() const;
};

// What the runner needs of one direction: the statements and the checksum of the file.
struct Script {
  std::string file;  // file name, for file:line messages; empty when the direction has no file
  Section section;
  std::string checksum;  // the file's TextChecksum (source/checksum.hpp); empty when there is no file
  // A version of several files (Migration::parts): every part's name, in file-name order;
  // Statement::part indexes it. `file` is then the first part that has this direction, and
  // `checksum` covers every part (migration_checksum). Empty for a version of one file.
  std::vector<std::string> parts;
  // The file a statement of this script comes from, for file:line messages.
  const std::string& file_of(const Statement& statement) const {
    return statement.part < parts.size() ? parts[statement.part] : file;
  }
};

struct ParsedMigration {
  Script up;
  Script down;  // no statements and no file when the migration has no down
};

// The migrations directory read for one dialect, ordered by version.
class Source {
 public:
  Source(std::filesystem::path directory, Dialect dialect, std::vector<Migration> migrations);

  // The migrations directory (for a compiled-in set, the one it was read from at build time).
  const std::filesystem::path& directory() const { return m_directory; }
  Dialect dialect() const { return m_dialect; }
  const std::vector<Migration>& migrations() const { return m_migrations; }
  // nullptr when the version has no file.
  const Migration* find(int64_t version) const;
  // Names in the directory that look like migrations but are not read (a backup copy, a
  // sub-folder of .sql files), one line each, for the commands to print as warnings.
  const std::vector<std::string>& warnings() const { return m_warnings; }
  void add_warning(std::string warning) { m_warnings.push_back(std::move(warning)); }
  // migration_checksum() of one of its migrations, through `memo` when one was set (a library
  // process that checks the same files again and again keeps one: checksum_memo.hpp).
  std::string checksum(const Migration& migration) const;
  void set_checksum_memo(std::shared_ptr<ChecksumMemo> memo) { m_checksum_memo = std::move(memo); }

 private:
  std::filesystem::path m_directory;
  Dialect m_dialect;
  std::vector<Migration> m_migrations;
  std::vector<std::string> m_warnings;
  std::shared_ptr<ChecksumMemo> m_checksum_memo;
};

// Lists the directory (no recursion) and pairs the files for `dialect`: per-dialect files
// (`.up.postgres.sql`) win over plain ones of the same version and direction. Files not ending
// in `.sql` and hidden files are ignored. Throws UsageError (exit 2) when the directory is
// missing or unreadable, SourceError (exit 4) for bad names, duplicate versions and a down
// without its up.
Source load_source(const std::filesystem::path& directory, Dialect dialect);

// load_source() for a directory compiled into the program (strata_add_migrations): the same
// rules for names, pairs, duplicates, per-dialect files and warnings, applied to the file names
// of `set` as if they were the directory's regular files; the files are read from memory, so
// checksums and statements are exactly those of the same bytes on disk. Throws SourceError
// (exit 4) like load_source, and for a name that could not be a file of one directory (empty,
// holding '/', listed twice). The Source refers to `set`'s bytes, which must outlive it.
Source load_embedded(const EmbeddedMigrations& set, Dialect dialect);

// Reads and splits both directions of a migration for the source's dialect. Throws
// SourceError (exit 4) with file:line on malformed input or an unreadable file.
ParsedMigration parse_migration(const Migration& migration, Dialect dialect);

// The file that holds one direction of a migration; nullptr for a pair without a down file.
// For a version of several parts, the first part.
const MigrationFile* script_file(const Migration& migration, Direction direction);
// Every file that holds one direction: the one script_file(), or a version's parts in the
// order that direction runs them (name order up, reverse name order down). Empty for a pair
// without a down file.
std::vector<const MigrationFile*> script_files(const Migration& migration, Direction direction);

// The checksum recorded for a migration (and compared by the drift check): the SHA-256 (hex)
// of its up file, or for a version of several parts the SHA-256 of the `sha256sum`-style
// listing of its parts ("<hex>  <file name>\n" for each, in name order), so that editing,
// adding or removing a part changes it. Throws SourceError like read_file.
std::string migration_checksum(const Migration& migration);

// Streams one direction of a migration: only the file that holds it is read, in chunks, and
// each statement of that direction goes to `sink` as soon as it is complete. Returns the
// Script without statements (file, checksum, transaction setting). A direction without a file
// (or a single file without a Down section) gives a Script with no file. Throws like
// parse_migration; an exception from `sink` propagates.
Script stream_script(const Migration& migration, Direction direction, Dialect dialect,
                     const std::function<void(Statement&&)>& sink);

// stream_script() keeping the statements.
Script parse_script(const Migration& migration, Direction direction, Dialect dialect);

// Whether the file's bytes contain, in any letter case, "transaction" (as every annotation that
// takes a migration out of a transaction does: "NO TRANSACTION", "notransaction",
// "transaction:false", "morph:nontransactional"), "commit" (a file that ends transactions of its own) or one of the
// dialect's transaction_blocker_words(). A cheap scan without splitting: false means that the file runs in
// a transaction on `dialect`. Throws like read_file.
bool may_leave_transaction(const MigrationFile& file, Dialect dialect);

// Whether the migration declares a down direction: a .down file for pairs, a Down annotation
// for single files (which this reads and splits). Throws SourceError like parse_migration.
bool has_down_section(const Migration& migration, Dialect dialect);

// The file's size in bytes (a compiled-in file's too); sets `error` when it cannot be read.
uintmax_t file_size(const MigrationFile& file, std::error_code& error);

// Reads a whole file; throws SourceError naming it when it cannot be read or holds a NUL byte.
std::string read_file(const std::filesystem::path& path, const std::string& display_name);

// The checksum strata records for a file (TextChecksum: BOM and CRLF endings normalised), read
// in chunks. Throws SourceError like read_file.
std::string file_checksum(const MigrationFile& file);
// SHA-256 of the file's bytes as they are: what strata 0.1 recorded, so that history
// rows written then are still recognised. Throws SourceError like read_file.
std::string raw_file_checksum(const MigrationFile& file);

// What streaming a migration file found (valid once the whole file was read).
struct StreamedFile {
  std::string checksum;        // the file's TextChecksum
  bool up_transaction = true;  // MigrationSplitter::transaction
  bool down_transaction = true;
  std::optional<TransactionBlocker> up_blocker;  // MigrationSplitter::blocker
  std::optional<TransactionBlocker> down_blocker;
  bool has_down = false;  // single files: a Down annotation was seen
};
// Reads the file in chunks, hashing and splitting as it goes, and hands each statement to
// `sink` as soon as it is complete (pair files report every statement as `up`), so memory stays
// bounded by the longest statement whatever the file's size. Throws SourceError with file:line
// on malformed input, a NUL byte or an unreadable file; an exception from `sink` propagates.
StreamedFile stream_migration_file(const MigrationFile& file, bool single_file, Dialect dialect,
                                   const MigrationSplitter::Sink& sink);

// The name rules of SPEC §6 for one file name; exposed for `create` and the tests.
struct ParsedFileName {
  int64_t version = 0;
  std::string version_text;  // as written, "0003"
  std::string name;          // "add_email"
  enum class Kind { up, down, single } kind = Kind::single;
  std::optional<Dialect> dialect;  // set for per-dialect pair files
};
// nullopt for files that are not migrations at all (not *.sql, hidden); throws SourceError
// for *.sql files whose name does not follow the rules. A dash after the version
// (`20180805174141-tournaments.sql`, sql-migrate's naming) is accepted for single files only.
std::optional<ParsedFileName> parse_file_name(const std::string& file_name);

}  // namespace strata::source
