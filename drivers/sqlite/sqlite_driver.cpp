#include "drivers/sqlite/sqlite_driver.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "core/error.hpp"

namespace strata::drivers::sqlite {
namespace {

constexpr std::string_view k_memory_path = ":memory:";
constexpr std::chrono::milliseconds k_lock_poll_interval{25};

using FileId = std::pair<dev_t, ino_t>;

std::string errno_text(int error) {
  return std::strerror(error);
}

// Whether nothing exists at path. Anything other than "no such file" counts as existing, so
// that opening it reports the real problem.
bool is_missing(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) return false;
  return errno == ENOENT || errno == ENOTDIR;
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string format_timeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms >= 1000 && ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

// The pid holding an flock() on the file, from /proc/locks ("1: FLOCK ADVISORY WRITE <pid>
// <major>:<minor>:<inode> 0 EOF", major and minor in hex). Waiters ("1: -> FLOCK …") are skipped.
std::optional<long> flock_holder(const FileId& file) {
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, kind, mode, access, where;
    long pid = 0;
    if (!(fields >> number >> kind >> mode >> access >> pid >> where)) continue;
    if (kind != "FLOCK" || pid <= 0) continue;
    unsigned long major_number = 0, minor_number = 0, inode = 0;
    char colon1 = 0, colon2 = 0;
    std::istringstream id(where);
    if (!(id >> std::hex >> major_number >> colon1 >> minor_number >> colon2 >> std::dec >> inode)) continue;
    if (colon1 != ':' || colon2 != ':') continue;
    if (major_number == major(file.first) && minor_number == minor(file.first) &&
        inode == static_cast<unsigned long>(file.second))
      return pid;
  }
  return std::nullopt;
}

// Closing any descriptor of a file drops every POSIX lock this process holds on it, SQLite's
// included. So the lock descriptor of a driver is closed only once no other driver of this
// process has the same file open; until then it is parked here (SQLite does the same with the
// descriptors of its own connections).
class LockDescriptors {
 public:
  static LockDescriptors& instance() {
    // Never destroyed: a driver may outlive static destruction.
    static auto* descriptors = new LockDescriptors;
    return *descriptors;
  }

  void opened(const FileId& file) {
    const std::lock_guard<std::mutex> guard(m_mutex);
    ++m_files[file].open_drivers;
  }

  // Called after the driver's SQLite connection is closed.
  void closed(const FileId& file, int fd) noexcept {
    const std::lock_guard<std::mutex> guard(m_mutex);
    auto it = m_files.find(file);
    if (it == m_files.end()) {
      ::close(fd);
      return;
    }
    it->second.parked.push_back(fd);
    if (--it->second.open_drivers > 0) return;
    for (int parked : it->second.parked) ::close(parked);
    m_files.erase(it);
  }

 private:
  struct Entry {
    int open_drivers = 0;
    std::vector<int> parked;
  };
  std::mutex m_mutex;
  std::map<FileId, Entry> m_files;
};

// SQLite keeps process-wide memory statistics behind a global mutex that every allocation takes;
// strata never reads them. Only possible before the library initialises, i.e. before the first
// connection of the process (a later call fails harmlessly with SQLITE_MISUSE).
void disable_memory_statistics() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

struct SqliteDriver::Impl {
  std::string path;        // as written in the URL
  bool in_memory = false;  // no file behind the connection, nothing to lock
  std::unique_ptr<SQLite::Database> db;
  int lock_fd = -1;  // O_RDONLY descriptor of the database file, carries the flock()
  FileId lock_file{};
  bool locked = false;
  int open_busy_ms = 0;  // the busy timeout the driver was opened with (OpenOptions::busy_timeout)

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    // The connection goes first: see LockDescriptors.
    db.reset();
    if (lock_fd >= 0) {
      ::flock(lock_fd, LOCK_UN);
      LockDescriptors::instance().closed(lock_file, lock_fd);
    }
  }
};

SqliteDriver::SqliteDriver(const DatabaseUrl& url, const OpenOptions& options) : m_impl(std::make_unique<Impl>()) {
  Impl& d = *m_impl;
  d.path = url.path;
  if (d.path.empty()) throw UsageError("the sqlite URL names no database file");
  d.in_memory = d.path == k_memory_path;
  // create_if_missing is false and there is no file: run in memory, leaving no file behind.
  if (!d.in_memory && !options.create_if_missing && is_missing(d.path)) d.in_memory = true;

  disable_memory_statistics();
  // One thread uses a connection (cancel()'s sqlite3_interrupt needs no mutex): without the
  // per-connection mutex every SQLite call is cheaper.
  const int flags = SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX |
                    (d.in_memory || options.create_if_missing ? SQLite::OPEN_CREATE : 0);
  const auto busy_ms =
      static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(options.busy_timeout.count(), 0, INT_MAX));
  d.open_busy_ms = busy_ms;
  try {
    d.db = std::make_unique<SQLite::Database>(d.in_memory ? std::string(k_memory_path) : d.path, flags, busy_ms);
    // Reading the schema now reports "file is not a database" here, not at the first migration.
    d.db->exec("PRAGMA schema_version");
  } catch (const SQLite::Exception& e) {
    const std::string directory = parent_directory(d.path);
    if (!d.in_memory && is_missing(directory))
      throw DriverError(fmt::format("cannot open SQLite database {}: directory {} does not exist", d.path, directory));
    throw DriverError(fmt::format("cannot open SQLite database {}: {}", d.path, e.what()));
  }

  if (d.in_memory) return;
  // SQLite has created the file by now. Opening another descriptor is harmless to its POSIX
  // locks; only closing one is not (see LockDescriptors).
  const int fd = ::open(d.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw DriverError(fmt::format("cannot open SQLite database {} for locking: {}", d.path, errno_text(errno)));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    throw DriverError(fmt::format("cannot open SQLite database {} for locking: {}", d.path, errno_text(error)));
  }
  d.lock_file = FileId{info.st_dev, info.st_ino};
  LockDescriptors::instance().opened(d.lock_file);
  d.lock_fd = fd;
}

SqliteDriver::~SqliteDriver() = default;

std::optional<std::string> SqliteDriver::read_only_reason() {
  const Impl& d = *m_impl;
  if (d.in_memory) return std::nullopt;
  // SQLite opens a file it may not write read-only, without an error.
  if (sqlite3_db_readonly(d.db->getHandle(), "main") == 1) {
    return fmt::format(
        "cannot migrate SQLite database {}: the file is read-only for this user; point --database at a writable "
        "database file",
        d.path);
  }
  const auto rows = query("PRAGMA journal_mode");
  const std::string mode = rows.empty() ? std::string() : rows.at(0).at(0).value_or("");
  std::string directory = parent_directory(d.path);
  if (mode != "memory" && mode != "off" && ::access(directory.c_str(), W_OK | X_OK) != 0) {
    if (char* resolved = ::realpath(directory.c_str(), nullptr)) {
      directory = resolved;
      std::free(resolved);
    }
    return fmt::format(
        "cannot migrate SQLite database {}: this user may not create files in its directory {}, where SQLite "
        "writes its journal (journal_mode {}); point --database at a database file in a writable directory",
        d.path, directory, mode);
  }
  return std::nullopt;
}

Dialect SqliteDriver::dialect() const noexcept {
  return Dialect::sqlite;
}

void SqliteDriver::run_one(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(m_impl->db->getHandle(), text.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return;
  std::string error = message != nullptr ? message : sqlite3_errmsg(m_impl->db->getHandle());
  sqlite3_free(message);
  throw DriverError(error);
}

void SqliteDriver::execute_batch(const std::vector<std::string_view>& statements) {
  for (size_t index = 0; index < statements.size(); ++index) {
    try {
      run_one(statements[index]);
    } catch (const DriverError& error) {
      throw StatementFailed(index, error);
    }
  }
}

std::vector<Row> SqliteDriver::query(std::string_view sql, const Params& params) {
  try {
    SQLite::Statement statement(*m_impl->db, std::string(sql));
    const int expected = statement.getBindParameterCount();
    if (expected != static_cast<int>(params.size()))
      throw DriverError(fmt::format("query takes {} parameters, {} given", expected, params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (params[i])
        statement.bind(index, *params[i]);
      else
        statement.bind(index);
    }
    std::vector<Row> rows;
    const int columns = statement.getColumnCount();
    while (statement.executeStep()) {
      Row row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int column = 0; column < columns; ++column) {
        const SQLite::Column value = statement.getColumn(column);
        if (value.isNull())
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(value.getString());
      }
      rows.push_back(std::move(row));
    }
    return rows;
  } catch (const SQLite::Exception& e) {
    throw DriverError(e.what());
  }
}

bool SqliteDriver::in_transaction() const noexcept {
  return sqlite3_get_autocommit(m_impl->db->getHandle()) == 0;
}

void SqliteDriver::begin() {
  if (in_transaction()) throw DriverError("begin(): a transaction is already open");
  run_one("BEGIN IMMEDIATE");
}

void SqliteDriver::commit() {
  if (!in_transaction()) throw DriverError("commit(): no transaction is open");
  run_one("COMMIT");
}

void SqliteDriver::rollback() noexcept {
  // SQLite may have rolled back by itself already (after SQLITE_FULL, SQLITE_IOERR, …).
  if (!in_transaction()) return;
  sqlite3_exec(m_impl->db->getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

std::vector<Row> SqliteDriver::commit_with(const std::vector<std::string>& statements) {
  std::vector<Row> rows;
  size_t index = 0;
  try {
    if (!in_transaction()) begin();
    for (; index < statements.size(); ++index) {
      if (index + 1 < statements.size())
        run_one(statements[index]);
      else
        rows = query(statements[index]);
    }
    run_one("COMMIT");
  } catch (const DriverError& error) {
    rollback();
    throw StatementFailed(index, error);
  }
  return rows;
}

void SqliteDriver::set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) {
  // A statement waits on another connection's lock of the file for the busy timeout.
  const int ms = timeout ? static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout->count(), 0, INT_MAX))
                         : m_impl->open_busy_ms;
  sqlite3_busy_timeout(m_impl->db->getHandle(), ms);
}

bool SqliteDriver::is_lock_timeout(const DriverError& error) const noexcept {
  // SQLITE_BUSY's text (sqlite3_errstr), which execute(), query() and commit() pass on.
  return std::string_view(error.what()).find("database is locked") != std::string_view::npos;
}

bool SqliteDriver::table_exists(const TableName& table) {
  if (!table.schema.empty())
    throw UsageError(fmt::format("SQLite has no schemas: cannot use table {}.{}", table.schema, table.name));
  // SQLite resolves table names ignoring ASCII case, and so does this.
  return !query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", {table.name}).empty();
}

std::string SqliteDriver::quote_identifier(std::string_view identifier) const {
  return quote_with(identifier, '"');
}

std::string SqliteDriver::quote_literal(std::string_view text) const {
  return quote_with(text, '\'');  // SQLite has no backslash escapes
}

void SqliteDriver::lock(const TableName& /*table: one lock per file*/, std::chrono::milliseconds timeout) {
  Impl& d = *m_impl;
  if (d.lock_fd < 0 || d.locked) return;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (::flock(d.lock_fd, LOCK_EX | LOCK_NB) == 0) {
      d.locked = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) throw DriverError(fmt::format("cannot lock {}: {}", d.path, errno_text(errno)));
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(k_lock_poll_interval, deadline - now));
  }
  std::string message =
      fmt::format("could not take the migration lock on {} within {}", d.path, format_timeout(timeout));
  if (const std::optional<LockHolder> holder = lock_holder({})) {
    message += fmt::format(": held by {}; the lock goes with that process: if it is stuck, end it with `{}`",
                           holder->description, holder->end_it);
  }
  throw LockTimeout(message);
}

std::optional<Driver::LockHolder> SqliteDriver::lock_holder(const TableName& /*table: one lock per file*/) {
  Impl& d = *m_impl;
  if (d.lock_fd < 0) return std::nullopt;  // no file yet: nobody can hold its lock
  const std::optional<long> pid = flock_holder(d.lock_file);
  if (!pid || (d.locked && *pid == static_cast<long>(::getpid()))) return std::nullopt;
  return LockHolder{fmt::format("pid {}", *pid), fmt::format("kill {}", *pid)};
}

void SqliteDriver::unlock() noexcept {
  Impl& d = *m_impl;
  if (!d.locked) return;
  ::flock(d.lock_fd, LOCK_UN);
  d.locked = false;
}

void SqliteDriver::cancel() noexcept {
  if (m_impl->db) sqlite3_interrupt(m_impl->db->getHandle());
}

}  // namespace strata::drivers::sqlite
