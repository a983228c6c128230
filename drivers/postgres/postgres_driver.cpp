#include "drivers/postgres/postgres_driver.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "drivers/lease_lock.hpp"

namespace strata::drivers::postgres {
namespace {

constexpr std::chrono::milliseconds k_lock_poll_interval{50};
constexpr long k_min_connect_timeout_seconds = 2;
// Statements per execute_batch() round trip: enough to hide the round trips (a few hundred
// microseconds each on loopback), small enough that results never fill the socket buffers.
constexpr size_t k_batch_limit = 1000;

// libpqxx's standard connection policy, remembering the libpq handle it manages: the driver runs
// its statements on that handle (see execute()).
class HandleKeepingPolicy final : public pqxx::connect_direct {
 public:
  explicit HandleKeepingPolicy(const std::string& options) : pqxx::connect_direct(options) {}

  handle do_startconnect(handle orig) override {
    m_handle = pqxx::connect_direct::do_startconnect(orig);
    return m_handle;
  }
  handle do_completeconnect(handle orig) override {
    m_handle = pqxx::connect_direct::do_completeconnect(orig);
    return m_handle;
  }
  handle do_dropconnect(handle orig) noexcept override {
    m_handle = pqxx::connect_direct::do_dropconnect(orig);
    return m_handle;
  }
  handle do_disconnect(handle orig) noexcept override {
    m_handle = pqxx::connect_direct::do_disconnect(orig);
    return m_handle;
  }

  PGconn* raw() const noexcept { return m_handle; }

 private:
  handle m_handle = nullptr;
};

// pqxx::connection with HandleKeepingPolicy, built the way libpqxx builds its own connection
// types.
class Connection final : public pqxx::connection_base {
 public:
  explicit Connection(const std::string& options) : pqxx::connection_base(m_policy), m_policy(options) { init(); }
  ~Connection() noexcept { close(); }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() const noexcept { return m_policy.raw(); }

 private:
  HandleKeepingPolicy m_policy;
};

std::string format_timeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms >= 1000 && ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

// Every run of whitespace (newlines and tabs included) as one space, trimmed: libpq's messages
// span lines, strata's error lines do not.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// A connection error without the lines that repeat the one before (libpq reports each attempt,
// and an error the server gives the first attempt it gives the second too).
std::string without_repeated_lines(std::string_view text) {
  std::string out;
  std::string_view previous;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line == previous) continue;
    out.append(line).push_back('\n');
    if (!line.empty()) previous = line;
  }
  return out;
}

// The first line of a libpq error message without its "ERROR:  " (or FATAL, PANIC) prefix; the
// lines after it are the "LINE n: …" excerpt and its caret.
std::string primary_line(std::string_view message) {
  message = message.substr(0, message.find('\n'));
  for (std::string_view severity : {"ERROR:", "FATAL:", "PANIC:"}) {
    if (message.substr(0, severity.size()) == severity) {
      message.remove_prefix(severity.size());
      break;
    }
  }
  return one_line(message);
}

bool has_param(const DatabaseUrl& url, std::string_view key) {
  return std::any_of(url.params.begin(), url.params.end(), [&](const auto& param) { return param.first == key; });
}

// libpq quotes the text it could not parse ("invalid percent-encoded token: \"<password>\"",
// a host name that took part of an unescaped password), which redact_passwords cannot
// recognise. Each quoted fragment of the message that stands in the URI only where it overlaps
// the password (in the user info, or a password= parameter) has that part replaced by ***;
// everything else is left as it is, so a short password never scrambles unrelated text
// ("port 5432", a user name equal to the password).
std::string scrub_password(const std::string& message, const DatabaseUrl& url) {
  const std::string& uri = url.conninfo;
  std::vector<std::pair<size_t, size_t>> secret;  // [begin, end) of each password in `uri`
  if (size_t scheme = uri.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t query = std::min(uri.find('?', start), uri.size());
    const size_t at = std::string_view(uri).substr(0, query).rfind('@');
    if (at != std::string::npos && at >= start) {
      const size_t colon = uri.find(':', start);
      if (colon < at) secret.emplace_back(colon + 1, at);
    }
    for (size_t item = query; item < uri.size();) {
      const size_t begin = item + 1;
      const size_t end = std::min(uri.find('&', begin), uri.size());
      if (uri.compare(begin, 9, "password=") == 0) secret.emplace_back(begin + 9, end);
      item = end;
    }
  }
  if (secret.empty()) return message;
  auto overlap = [&](size_t begin, size_t end) -> std::optional<std::pair<size_t, size_t>> {
    for (const auto& [b, e] : secret) {
      if (begin < e && b < end) return std::make_pair(std::max(begin, b), std::min(end, e));
    }
    return std::nullopt;
  };
  std::string out;
  size_t from = 0;
  for (size_t open = message.find('"'); open != std::string::npos; open = message.find('"', from)) {
    const size_t close = message.find('"', open + 1);
    if (close == std::string::npos) break;
    const std::string_view fragment = std::string_view(message).substr(open + 1, close - open - 1);
    std::optional<std::pair<size_t, size_t>> masked;  // within the fragment
    bool innocent = fragment.empty();
    for (size_t hit = uri.find(fragment); !innocent && hit != std::string::npos; hit = uri.find(fragment, hit + 1)) {
      if (auto part = overlap(hit, hit + fragment.size())) {
        if (!masked) masked = std::make_pair(part->first - hit, part->second - hit);
      } else {
        innocent = true;  // it also stands where no password is: that is what libpq quoted
      }
    }
    out.append(message, from, open + 1 - from);
    if (masked && !innocent) {
      out.append(fragment.substr(0, masked->first));
      out.append("***");
      out.append(fragment.substr(masked->second));
    } else {
      out.append(fragment);
    }
    out.push_back('"');
    from = close + 1;
  }
  out.append(message, from, std::string::npos);
  return out;
}

// The connection keywords this libpq knows (PQconndefaults), for telling them from server settings.
const std::vector<std::string>& libpq_keywords() {
  static const std::vector<std::string> keywords = [] {
    std::vector<std::string> names;
    if (PQconninfoOption* options = PQconndefaults()) {
      for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) names.emplace_back(option->keyword);
      PQconninfoFree(options);
    }
    return names;
  }();
  return keywords;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned>(c));
    }
  }
  return out;
}

// A value of libpq's `options` (-c name=value): a space or backslash in it is escaped.
std::string option_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ' ' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// URL parameters that are not libpq's are server settings for the session, as lib/pq (which
// golang-migrate and dbmate use) sends them: `?search_path=app` sets search_path. libpq itself
// refuses them ("invalid URI query parameter"), so they go into `options` as `-c name=value`,
// after the URL's own `options`, if any.
std::string with_runtime_parameters(const DatabaseUrl& url) {
  const std::vector<std::string>& keywords = libpq_keywords();
  auto is_keyword = [&](const std::string& key) { return std::find(keywords.begin(), keywords.end(), key) != keywords.end(); };
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto& [key, value] : url.params) {
    if (!is_keyword(key)) settings.emplace_back(key, value);
  }
  if (settings.empty() || keywords.empty()) return url.conninfo;
  const size_t query = url.conninfo.find('?');
  std::string conninfo = url.conninfo.substr(0, query);
  std::string options;
  char separator = '?';
  for (const auto& [key, value] : url.params) {
    if (key == "options") {
      options = value;
    } else if (is_keyword(key)) {
      conninfo += fmt::format("{}{}={}", separator, percent_encode(key), percent_encode(value));
      separator = '&';
    }
  }
  for (const auto& [key, value] : settings) {
    if (!options.empty()) options += ' ';
    options += fmt::format("-c {}={}", key, option_value(value));
  }
  return conninfo + fmt::format("{}options={}", separator, percent_encode(options));
}

std::string connection_string(const DatabaseUrl& url, const OpenOptions& options) {
  std::string conninfo = with_runtime_parameters(url);
  auto add = [&](std::string_view key, const std::string& value) {
    conninfo += conninfo.find('?') == std::string::npos ? '?' : '&';
    conninfo += fmt::format("{}={}", key, value);
  };
  if (!has_param(url, "application_name")) add("application_name", "strata");
  if (!has_param(url, "connect_timeout")) {
    const long seconds = static_cast<long>((options.busy_timeout.count() + 999) / 1000);
    add("connect_timeout", std::to_string(std::max(seconds, k_min_connect_timeout_seconds)));
  }
  return conninfo;
}

// The server counts error positions in characters; DriverError wants bytes of what was sent.
std::optional<size_t> byte_position(std::string_view sql, long characters, int encoding) {
  if (characters <= 0) return std::nullopt;
  size_t offset = 0;
  for (long i = 1; i < characters && offset < sql.size(); ++i)
    offset += static_cast<size_t>(std::max(1, PQmblen(sql.data() + offset, encoding)));
  return std::min(offset, sql.size()) + 1;
}

// A statement for PQexecParams: each placeholder (placeholder_offsets) replaced by $1, $2, …
// (see the header for what this does not understand), and where each byte of the result came
// from, so that an error position can point into the caller's text.
struct NumberedStatement {
  std::string text;
  std::vector<size_t> origin;  // origin[i]: offset in the caller's text of text[i]; one extra
};

NumberedStatement number_placeholders(std::string_view sql, size_t parameters) {
  const std::vector<size_t> offsets = placeholder_offsets(sql, parameters);
  NumberedStatement statement;
  statement.text.reserve(sql.size() + 2 * offsets.size());
  statement.origin.reserve(sql.size() + 2 * offsets.size() + 1);
  auto copy = [&](size_t from, size_t to) {
    statement.text += sql.substr(from, to - from);
    for (size_t i = from; i < to; ++i) statement.origin.push_back(i);
  };
  size_t from = 0;
  for (size_t n = 0; n < offsets.size(); ++n) {
    copy(from, offsets[n]);
    const std::string number = fmt::format("${}", n + 1);
    statement.text += number;
    statement.origin.insert(statement.origin.end(), number.size(), offsets[n]);
    from = offsets[n] + 1;
  }
  copy(from, sql.size());
  statement.origin.push_back(sql.size());
  return statement;
}

// A 64-bit advisory lock key: the first 8 bytes of SHA-256 over database, schema and table.
int64_t lock_key(const std::string& database, const std::string& schema, const std::string& table) {
  std::string text = database;
  text += '\0';
  text += schema;
  text += '\0';
  text += table;
  const uint64_t bits = std::stoull(sha256_hex(text).substr(0, 16), nullptr, 16);
  return static_cast<int64_t>(bits);
}

// "host:port" for messages, IPv6 addresses in brackets.
std::string host_port(const std::string& host, const std::string& port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

// The URL `redacted` (a postgres:// URI, password already ***) with its host list replaced.
std::string with_hosts(const std::string& redacted, const std::string& hosts) {
  const size_t scheme = redacted.find("://");
  if (scheme == std::string::npos) return redacted;
  size_t authority = scheme + 3;
  const size_t end = std::min(redacted.find_first_of("/?", authority), redacted.size());
  const size_t at = std::string_view(redacted).substr(0, end).rfind('@');
  if (at != std::string::npos && at >= authority) authority = at + 1;
  return redacted.substr(0, authority) + hosts + redacted.substr(end);
}

bool is_on(const Value& value) {
  return value && (*value == "on" || *value == "t" || *value == "true");
}

struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Every row of a result, each column as text (nullopt for NULL).
std::vector<Row> rows_of(const PGresult* result) {
  const int row_count = PQntuples(result);
  const int column_count = PQnfields(result);
  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(row_count));
  for (int r = 0; r < row_count; ++r) {
    Row row;
    row.reserve(static_cast<size_t>(column_count));
    for (int c = 0; c < column_count; ++c) {
      if (PQgetisnull(result, r, c) != 0)
        row.emplace_back(std::nullopt);
      else
        row.emplace_back(std::string(PQgetvalue(result, r, c), static_cast<size_t>(PQgetlength(result, r, c))));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

struct PostgresDriver::Impl {
  std::string description;  // the redacted URL
  std::unique_ptr<Connection> connection;
  // Keeps server notices off strata's stderr; unregisters before the connection closes.
  std::unique_ptr<pqxx::quiet_errorhandler> quiet;
  int backend_pid = 0;
  PGcancel* cancel_handle = nullptr;  // thread-safe handle for PQcancel
  bool in_transaction = false;
  bool locked = false;
  int64_t lock_key = 0;
  // set_statement_lock_timeout(): "lock_timeout = '5000ms'", or "" for the server's setting.
  std::string lock_timeout_setting;

  // A connection pooler: detected by the first migration_lock_key(); then the lease is the lock.
  DatabaseUrl url;  // to open the lease's second connection
  OpenOptions options;
  std::optional<bool> pooled;
  std::string last_server_pid;  // pg_backend_pid() the first migration_lock_key() saw
  bool lease_table_seen = false;
  std::string pooler_refusal;  // why the pooler cannot serve the lease's second connection  // the last
                               // migration_lock_key() found a lock table (runs through a pooler)
  std::string topology_note;
  std::unique_ptr<LeaseLock> lease;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    lease.reset();
    if (cancel_handle != nullptr) PQfreeCancel(cancel_handle);
    // Closing the session rolls back an open transaction and releases the lock.
    quiet.reset();
    connection.reset();
  }

  PGconn* raw() const { return connection->raw(); }

  // The server libpq connected to and the database, for messages: "127.0.0.1:5432 (database app)".
  std::string server() const {
    const char* host = PQhost(raw());
    const char* port = PQport(raw());
    const char* db = PQdb(raw());
    return fmt::format("{} (database {})", host_port(host ? host : "", port ? port : ""), db ? db : "");
  }

  bool connected() const {
    PGconn* handle = raw();
    return handle != nullptr && PQstatus(handle) == CONNECTION_OK;
  }

  std::string lost_connection() const {
    return fmt::format("lost the connection to {}{}", description, locked ? " (and the migration lock with it)" : "");
  }

  // Refuses to go on when the session is gone or has been replaced: session state, the
  // migration lock above all, would be gone with it.
  void check_connection() const {
    if (!connected()) throw DriverError(lost_connection());
    if (PQbackendPID(raw()) != backend_pid)
      throw DriverError(fmt::format("{}: the session was replaced (backend pid {} is now {})", lost_connection(),
                                    backend_pid, PQbackendPID(raw())));
  }

  // COPY FROM STDIN / TO STDOUT in a migration: leaves copy mode so the connection stays
  // usable and returns the error to throw.
  DriverError refuse_copy(ExecStatusType status) {
    if (status == PGRES_COPY_IN) PQputCopyEnd(raw(), "COPY FROM STDIN is not supported");
    return DriverError("COPY … FROM STDIN and COPY … TO STDOUT are not supported");
  }

  static bool failed(const PGresult* result) {
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    return status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR || status == PGRES_BAD_RESPONSE;
  }

  // The server's message, SQLSTATE and error position of a failed result (nullptr: libpq's own
  // error). The position is a 1-based byte offset into `text`, the string that was sent.
  DriverError error_of(const PGresult* result, std::string_view text) const {
    std::string message;
    std::string sqlstate;
    std::optional<size_t> position;
    if (result == nullptr) {
      message = primary_line(PQerrorMessage(raw()));
    } else {
      auto field = [&](int code) -> std::string {
        const char* value = PQresultErrorField(result, code);
        return value != nullptr ? one_line(value) : std::string();
      };
      message = field(PG_DIAG_MESSAGE_PRIMARY);
      if (message.empty()) message = primary_line(PQresultErrorMessage(result));
      if (const std::string detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty())
        message += fmt::format(" (detail: {})", detail);
      if (const std::string hint = field(PG_DIAG_MESSAGE_HINT); !hint.empty())
        message += fmt::format(" (hint: {})", hint);
      sqlstate = field(PG_DIAG_SQLSTATE);
      const std::string where = field(PG_DIAG_STATEMENT_POSITION);
      if (!where.empty()) position = byte_position(text, std::atol(where.c_str()), PQclientEncoding(raw()));
    }
    if (message.empty()) message = "unknown error";
    // A FATAL error ends the session even when libpq has not noticed the closed socket yet.
    const char* severity = result != nullptr ? PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED) : nullptr;
    const bool fatal =
        severity != nullptr && (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC");
    if (fatal || !connected()) message = fmt::format("{}: {}", lost_connection(), message);
    return DriverError(message, sqlstate, position);
  }

  // Runs `text` (with `params`, when given, bound to $1…) and returns its result, or throws
  // DriverError with the server's message, SQLSTATE and error position. The position is mapped
  // through `origin` (see NumberedStatement) when given.
  Result run(const std::string& text, const std::vector<const char*>* params = nullptr,
             const std::vector<size_t>* origin = nullptr) {
    check_connection();
    Result result(params == nullptr ? PQexec(raw(), text.c_str())
                                    : PQexecParams(raw(), text.c_str(), static_cast<int>(params->size()), nullptr,
                                                   params->data(), nullptr, nullptr, 0));
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      DriverError error = refuse_copy(status);
      while (PGresult* rest = PQgetResult(raw())) PQclear(rest);
      throw error;
    }
    if (!failed(result.get())) return result;
    DriverError error = error_of(result.get(), text);
    if (error.position() && origin != nullptr)
      throw DriverError(error.what(), error.sqlstate(), origin->at(*error.position() - 1) + 1);
    throw error;
  }

  // Sends the statements as one simple-protocol query and reads one result per statement: the
  // first failed one is the failing statement (the server skips the rest). Returns the rows of
  // statements[keep] (none when keep is out of range).
  std::vector<Row> run_batch(const std::vector<std::string_view>& statements, size_t keep = SIZE_MAX) {
    std::string text;
    std::vector<size_t> starts;
    starts.reserve(statements.size());
    size_t size = 0;
    for (std::string_view sql : statements) size += sql.size() + 2;
    text.reserve(size);
    for (std::string_view sql : statements) {
      starts.push_back(text.size());
      text += sql;
      text += ";\n";
    }
    check_connection();
    if (PQsendQuery(raw(), text.c_str()) == 0) throw StatementFailed(0, error_of(nullptr, text));
    size_t index = 0;
    std::vector<Row> rows;
    std::optional<StatementFailed> failure;
    while (PGresult* raw_result = PQgetResult(raw())) {
      Result result(raw_result);
      const ExecStatusType status = PQresultStatus(result.get());
      if (failure) continue;  // drain
      if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
        failure.emplace(index, refuse_copy(status));
      } else if (failed(result.get())) {
        size_t at = std::min(index, statements.size() - 1);
        DriverError error = error_of(result.get(), text);
        std::optional<size_t> position;
        if (error.position()) {
          // The server counts from the start of the whole string, and a syntax error anywhere
          // fails the whole string before any of it runs: the position names the statement.
          const size_t offset = *error.position() - 1;
          at = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) - 1;
          position = offset - starts[at] + 1;
        }
        failure.emplace(at, DriverError(error.what(), error.sqlstate(), position));
      } else {
        if (index == keep) rows = rows_of(result.get());
        ++index;
      }
    }
    if (failure) throw *failure;
    if (index < statements.size()) {
      // No result for some statements and no error: the connection went away.
      throw StatementFailed(index, error_of(nullptr, text));
    }
    return rows;
  }
};

PostgresDriver::PostgresDriver(const DatabaseUrl& url, const OpenOptions& options) : m_impl(std::make_unique<Impl>()) {
  Impl& d = *m_impl;
  d.description = url.redacted;
  d.url = url;
  d.options = options;
  try {
    d.connection = std::make_unique<Connection>(connection_string(url, options));
  } catch (const std::exception& e) {
    throw DriverError(fmt::format("cannot connect to {}: {}", url.redacted,
                                  scrub_password(redact_passwords(one_line(without_repeated_lines(e.what()))), url)));
  }
  // libpqxx 6 would otherwise reconnect silently after a lost connection, without the session's
  // advisory lock. Deprecated in 6.4 (libpqxx 7 never reconnects), still needed here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  d.connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  d.quiet = std::make_unique<pqxx::quiet_errorhandler>(*d.connection);
  if (!d.connected()) throw DriverError(fmt::format("cannot connect to {}: no connection", url.redacted));
  d.backend_pid = PQbackendPID(d.raw());
  d.cancel_handle = PQgetCancel(d.raw());
}

PostgresDriver::~PostgresDriver() {
  if (m_impl->lease) m_impl->lease->unlock();
}

Dialect PostgresDriver::dialect() const noexcept {
  return Dialect::postgres;
}

// Statements go to libpq on libpqxx's connection: libpqxx 6 keeps the error fields of a failed
// statement (position, detail) to itself, wraps its own exec() in transactions, and leaks a
// result when a statement meets a lost connection.

namespace {

// The words of a statement's head, comments skipped; a quoted identifier is one word, quotes
// kept. Stops after `count` words.
std::vector<std::string> head_words(std::string_view sql, size_t count) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < sql.size() && words.size() < count) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      i = std::min(sql.find('\n', i), sql.size());
    } else if (sql.compare(i, 2, "/*") == 0) {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '(' || c == ';') {
      break;
    } else {
      size_t end = i;
      while (end < sql.size() && !std::isspace(static_cast<unsigned char>(sql[end])) && sql[end] != '(' &&
             sql[end] != ';') {
        if (sql[end] == '"') end = std::min(sql.find('"', end + 1), sql.size() - 1);
        ++end;
      }
      words.emplace_back(sql.substr(i, end - i));
      i = end;
    }
  }
  return words;
}

bool word_is(const std::string& word, std::string_view keyword) {
  return word.size() == keyword.size() && std::equal(word.begin(), word.end(), keyword.begin(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) == b;
         });
}

// For CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON …: whether it is one, and the
// index name as written (empty when the server picks it).
std::optional<std::string> concurrent_index(std::string_view sql) {
  const std::vector<std::string> w = head_words(sql, 9);
  size_t at = 0;
  auto next_is = [&](std::string_view keyword) {
    if (at < w.size() && word_is(w[at], keyword)) {
      ++at;
      return true;
    }
    return false;
  };
  if (!next_is("CREATE")) return std::nullopt;
  next_is("UNIQUE");
  if (!next_is("INDEX") || !next_is("CONCURRENTLY")) return std::nullopt;
  if (next_is("IF") && !(next_is("NOT") && next_is("EXISTS"))) return std::nullopt;
  if (at >= w.size() || word_is(w[at], "ON")) return std::string();
  return w[at];
}

}  // namespace

void PostgresDriver::run_one(std::string_view sql) {
  try {
    run_with_lock_timeout(std::string(sql));
  } catch (const DriverError& error) {
    const std::optional<std::string> index = concurrent_index(sql);
    if (!index || !m_impl->connected()) throw;
    throw DriverError(fmt::format("{}{}", error.what(), invalid_index_advice(*index, error.sqlstate() == "42P07")),
                      error.sqlstate(), error.position());
  }
}

std::string PostgresDriver::invalid_index_advice(const std::string& index, bool already_exists) {
  if (index.empty()) {
    return "; a failed CREATE INDEX CONCURRENTLY can leave an INVALID index behind (list them with `SELECT "
           "indexrelid::regclass FROM pg_index WHERE NOT indisvalid`): drop it with DROP INDEX CONCURRENTLY before "
           "retrying";
  }
  try {
    const std::vector<Row> rows =
        query("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(?)", {index});
    if (rows.empty() || !rows[0][0] || *rows[0][0] != "t") return "";
  } catch (const DriverError&) {
    return "";
  }
  return fmt::format(
      already_exists ? "; the index {} is INVALID, left behind by an earlier CREATE INDEX CONCURRENTLY that failed: "
                       "run `DROP INDEX CONCURRENTLY IF EXISTS {};` and retry"
                     : "; PostgreSQL left the index {} behind, INVALID: run `DROP INDEX CONCURRENTLY IF EXISTS {};` "
                       "before retrying",
      index, index);
}

void PostgresDriver::execute_batch(const std::vector<std::string_view>& statements) {
  // Outside a transaction a multi-statement string would run as one implicit transaction
  // (and CREATE INDEX CONCURRENTLY, VACUUM, … refuse to run in one): one at a time there.
  if (m_impl->in_transaction && statements.size() > 1) {
    m_impl->run_batch(statements);
    return;
  }
  for (size_t index = 0; index < statements.size(); ++index) {
    try {
      run_one(statements[index]);
    } catch (const DriverError& error) {
      throw StatementFailed(index, error);
    }
  }
}

std::vector<Row> PostgresDriver::commit_with(const std::vector<std::string>& statements) {
  Impl& d = *m_impl;
  // One round trip: BEGIN (unless begin() opened the transaction), the statements and COMMIT in
  // one string. A failing statement makes the server skip the rest, COMMIT included.
  const bool own = !d.in_transaction;
  if (d.lease) d.lease->check_held();
  // A transaction of its own gets the statement lock timeout as begin() gives it (SET LOCAL).
  const std::string set_local = own && !d.lock_timeout_setting.empty() ? "SET LOCAL " + d.lock_timeout_setting : "";
  std::vector<std::string_view> batch;
  batch.reserve(statements.size() + 3);
  if (own) batch.emplace_back("BEGIN");
  if (!set_local.empty()) batch.emplace_back(set_local);
  batch.insert(batch.end(), statements.begin(), statements.end());
  batch.emplace_back("COMMIT");
  const size_t offset = (own ? 1 : 0) + (set_local.empty() ? 0 : 1);
  try {
    std::vector<Row> rows = d.run_batch(batch, statements.empty() ? SIZE_MAX : offset + statements.size() - 1);
    d.in_transaction = false;
    return rows;
  } catch (const StatementFailed& failure) {
    d.in_transaction = true;
    rollback();
    throw StatementFailed(failure.index() >= offset ? failure.index() - offset : 0, failure);
  }
}

bool PostgresDriver::batchable(std::string_view sql) const noexcept {
  // Inside a transaction a failure or a stop rolls everything back: any statement may share a batch.
  return m_impl->in_transaction || is_data_change(sql);
}

size_t PostgresDriver::batch_statements() const noexcept {
  return m_impl->in_transaction ? k_batch_limit : 1;
}

std::vector<Row> PostgresDriver::query(std::string_view sql, const Params& params) {
  const NumberedStatement statement = number_placeholders(sql, params.size());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Value& param : params) values.push_back(param ? param->c_str() : nullptr);

  const Result result = m_impl->run(statement.text, &values, &statement.origin);
  return rows_of(result.get());
}

void PostgresDriver::begin() {
  Impl& d = *m_impl;
  if (d.in_transaction) throw DriverError("begin(): a transaction is already open");
  if (d.lease) d.lease->check_held();
  // SET LOCAL ends with the transaction: nothing is left on a pooled server connection.
  d.run(d.lock_timeout_setting.empty() ? std::string("BEGIN") : "BEGIN; SET LOCAL " + d.lock_timeout_setting);
  d.in_transaction = true;
}

void PostgresDriver::commit() {
  Impl& d = *m_impl;
  if (!d.in_transaction) throw DriverError("commit(): no transaction is open");
  // PostgreSQL answers COMMIT of a failed transaction with a successful ROLLBACK.
  if (d.connected() && PQtransactionStatus(d.raw()) == PQTRANS_INERROR) {
    rollback();
    throw DriverError("cannot commit: a statement of the transaction failed, so it was rolled back", "25P02");
  }
  d.in_transaction = false;
  d.run("COMMIT");
}

void PostgresDriver::rollback() noexcept {
  Impl& d = *m_impl;
  if (!d.in_transaction) return;
  d.in_transaction = false;
  // On a lost connection the server has rolled back already.
  if (d.connected()) PQclear(PQexec(d.raw(), "ROLLBACK"));
}

void PostgresDriver::set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) {
  // 0 would mean "no limit" to PostgreSQL: the smallest limit it takes is 1 ms.
  m_impl->lock_timeout_setting =
      timeout ? fmt::format("lock_timeout = '{}ms'", std::max<std::chrono::milliseconds::rep>(1, timeout->count()))
              : std::string();
}

bool PostgresDriver::is_lock_timeout(const DriverError& error) const noexcept {
  return error.sqlstate() == "55P03";  // lock_not_available
}

void PostgresDriver::run_with_lock_timeout(const std::string& sql) {
  Impl& d = *m_impl;
  if (d.lock_timeout_setting.empty() || d.in_transaction || !d.connected()) {
    d.run(sql);
    return;
  }
  switch (PQtransactionStatus(d.raw())) {
    case PQTRANS_IDLE: {
      // A statement on its own (NO TRANSACTION): the setting for this statement only, so that
      // nothing stays on the session, which a pooler in transaction mode may hand to another
      // client next. Three round trips, for statements that are rare and usually slow.
      d.run("SET " + d.lock_timeout_setting);
      try {
        d.run(sql);
      } catch (const DriverError&) {
        reset_lock_timeout();
        throw;
      }
      reset_lock_timeout();
      return;
    }
    case PQTRANS_INTRANS:
      // Inside a transaction a migration file opened itself: until that transaction ends.
      d.run("SET LOCAL " + d.lock_timeout_setting);
      d.run(sql);
      return;
    default: d.run(sql); return;  // a failed transaction refuses everything but its end
  }
}

void PostgresDriver::reset_lock_timeout() noexcept {
  Impl& d = *m_impl;
  if (d.connected() && PQtransactionStatus(d.raw()) == PQTRANS_IDLE) PQclear(PQexec(d.raw(), "RESET lock_timeout"));
}

bool PostgresDriver::table_exists(const TableName& table) {
  return !query(
              "SELECT 1 FROM pg_catalog.pg_class c "
              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
              "WHERE n.nspname = COALESCE(?, current_schema()) AND c.relname = ? "
              "AND c.relkind IN ('r', 'p')",
              {table.schema.empty() ? Value{} : Value{table.schema}, table.name})
              .empty();
}

std::string PostgresDriver::quote_identifier(std::string_view identifier) const {
  return quote_with(identifier, '"');
}

std::string PostgresDriver::quote_literal(std::string_view text) const {
  // libpq knows the session's standard_conforming_strings and client encoding.
  char* quoted = PQescapeLiteral(m_impl->raw(), text.data(), text.size());
  if (quoted == nullptr)
    throw DriverError(fmt::format("cannot quote a value: {}", primary_line(PQerrorMessage(m_impl->raw()))));
  std::string literal(quoted);
  PQfreemem(quoted);
  return literal;
}

void PostgresDriver::lock(const TableName& table, std::chrono::milliseconds timeout) {
  Impl& d = *m_impl;
  if (d.locked) return;
  const int64_t key = migration_lock_key(table);
  if (LeaseLock* lease = pooler_lease()) {
    if (!d.pooler_refusal.empty()) throw LockTimeout(d.pooler_refusal);
    if (d.topology_note.empty()) d.topology_note = pooling_note(*lease);
    // A run connected to the server directly takes the advisory lock instead: both exclude each other.
    lease->lock(table, timeout, [this, key] { return holder_of(key); });
    return;
  }
  const std::string key_text = std::to_string(key);
  std::optional<LockHolder> lease_holder;

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto rows = query("SELECT pg_try_advisory_lock(?::bigint), pg_backend_pid()", {key_text});
    // The lock belongs to this session only if this is still the session we opened.
    if (rows.at(0).at(1).value_or("") != std::to_string(d.backend_pid))
      throw DriverError(fmt::format("{}: the session was replaced (backend pid {} is now {})", d.lost_connection(),
                                    d.backend_pid, rows.at(0).at(1).value_or("?")));
    if (rows.at(0).at(0).value_or("") == "t") {
      // Runs that come through a pooler hold a lease row instead (they check for this lock after
      // taking theirs): only where such a table exists does it cost a query.
      lease_holder = d.lease_table_seen ? live_lease_holder(*this, table) : std::nullopt;
      if (!lease_holder) {
        d.locked = true;
        d.lock_key = key;
        return;
      }
      query("SELECT pg_advisory_unlock(?::bigint)", {key_text});
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(k_lock_poll_interval, deadline - now));
  }

  std::string message = fmt::format("could not take the migration lock on {} (table {}) within {}", d.description,
                                    table.display(), format_timeout(timeout));
  std::optional<LockHolder> holder;
  try {
    holder = holder_of(key);
  } catch (const DriverError&) {
    // The timeout is the error to report; who holds the lock is a bonus.
  }
  if (holder) {
    message += fmt::format(": held by {}; if that session is dead or stuck, end it with `{}`", holder->description,
                           holder->end_it);
  } else if (lease_holder) {
    message += fmt::format(
        ": held by {} through a connection pooler; if that process is stuck, end it with `{}`; if it is gone, its "
        "lease runs out by itself and the next run takes over",
        lease_holder->description, lease_holder->end_it);
  }
  throw LockTimeout(message);
}

int64_t PostgresDriver::migration_lock_key(const TableName& table) {
  Impl& d = *m_impl;
  const TableName lease_table = LeaseLock::lock_table(table);
  const std::string lease_name = (lease_table.schema.empty() ? "" : quote_identifier(lease_table.schema) + ".") +
                                 quote_identifier(lease_table.name);
  const auto names =
      query("SELECT current_database(), current_schema(), pg_backend_pid(), to_regclass(?) IS NOT NULL", {lease_name});
  d.lease_table_seen = names.at(0).at(3).value_or("") == "t";
  if (!d.pooled) {
    d.last_server_pid = names.at(0).at(2).value_or("");
    // libpq's backend pid is the one the server sent at connect: a pooler sends its own.
    d.pooled = d.last_server_pid != std::to_string(d.backend_pid);
  }
  const std::string database = names.at(0).at(0).value_or("");
  const std::string schema = table.schema.empty() ? names.at(0).at(1).value_or("") : table.schema;
  return lock_key(database, schema, table.name);
}

std::optional<Driver::LockHolder> PostgresDriver::holder_of(int64_t key) {
  // pg_locks shows a bigint advisory key as classid (high half), objid (low half), objsubid 1.
  const auto bits = static_cast<uint64_t>(key);
  const std::vector<Row> holders = query(
      "SELECT l.pid, a.application_name, a.usename, host(a.client_addr), "
      "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
      "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
      "AND l.classid = ?::oid AND l.objid = ?::oid AND l.pid <> pg_backend_pid() "
      "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
      "LIMIT 1",
      {std::to_string(bits >> 32), std::to_string(bits & 0xFFFFFFFFU)});
  if (holders.empty()) return std::nullopt;
  const Row& holder = holders[0];
  std::vector<std::string> facts;
  auto fact = [&](const char* label, const Value& value, const char* suffix = "") {
    if (value && !value->empty()) facts.push_back(fmt::format("{} {}{}", label, *value, suffix));
  };
  fact("application_name", holder.at(1));
  fact("user", holder.at(2));
  fact("client", holder.at(3));
  fact("since", holder.at(4), " UTC");
  const std::string pid = holder.at(0).value_or("?");
  LockHolder out;
  out.description = fmt::format("pid {}", pid);
  if (!facts.empty()) out.description += fmt::format(" ({})", fmt::join(facts, ", "));
  out.end_it = fmt::format("SELECT pg_terminate_backend({})", pid);
  return out;
}

std::optional<Driver::LockHolder> PostgresDriver::lock_holder(const TableName& table) {
  const int64_t key = migration_lock_key(table);
  if (LeaseLock* lease = pooler_lease()) {
    if (std::optional<LockHolder> holder = lease->holder(table)) return holder;
    return holder_of(key);  // a run connected directly
  }
  if (std::optional<LockHolder> holder = holder_of(key)) return holder;
  return m_impl->lease_table_seen ? live_lease_holder(*this, table) : std::nullopt;
}

LeaseLock* PostgresDriver::pooler_lease() {
  Impl& d = *m_impl;
  if (!d.pooled || !*d.pooled) return nullptr;
  if (!d.lease) {
    d.lease = std::make_unique<LeaseLock>(
        *this, [url = d.url, options = d.options] { return std::make_unique<PostgresDriver>(url, options); },
        d.url.lock_lease.value_or(LeaseLock::k_default_lease), LeaseLock::Identity{}, d.description);
  }
  return d.lease.get();
}

std::string PostgresDriver::pooling_note(LeaseLock& lease) {
  // In session pooling the main connection keeps its server connection, so a transaction of the
  // second one cannot get it; in transaction pooling the server connection the last statement
  // used is free again, and the pooler (PgBouncer: most recently used first) hands it out.
  // In session pooling every run needs a second server connection for the renewals: a pool too
  // small for that makes the pooler queue the second connection's first query, possibly for good
  // (each run holding one server connection and waiting for another), so that wait is bounded.
  auto& second = static_cast<PostgresDriver&>(lease.renewer());
  const std::optional<std::string> pid =
      second.backend_pid_within("BEGIN; SELECT pg_backend_pid(); COMMIT", m_impl->options.busy_timeout);
  if (!pid) {
    m_impl->pooler_refusal = fmt::format(
        "could not take the migration lock on {} within {}: the connection pooler gave strata's second connection, "
        "which renews the lock's lease, no server connection; in session pooling every strata run needs two server "
        "connections at once: raise the pool size (PgBouncer: default_pool_size) or use transaction pooling",
        m_impl->description, format_timeout(m_impl->options.busy_timeout));
    throw LockTimeout(m_impl->pooler_refusal);
  }
  const bool transaction_pooling = *pid == m_impl->last_server_pid;
  return fmt::format(
      "connected through a connection pooler ({}): a session advisory lock would stay on a pooled server "
      "connection, so the migration lock is a lease row in the lock table, {}, and no session state is kept "
      "between transactions",
      transaction_pooling ? "transaction pooling"
                          : "session pooling, or transaction pooling under load: cannot tell, so handled as "
                            "transaction pooling",
      lease.describe_lease());
}

std::optional<std::string> PostgresDriver::backend_pid_within(const char* text, std::chrono::milliseconds timeout) {
  Impl& d = *m_impl;
  d.check_connection();
  if (PQsendQuery(d.raw(), text) == 0) throw d.error_of(nullptr, text);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (PQisBusy(d.raw()) != 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;  // the connection is left busy: the caller drops it
    pollfd socket{PQsocket(d.raw()), POLLIN, 0};
    ::poll(&socket, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (PQconsumeInput(d.raw()) == 0) throw d.error_of(nullptr, text);
  }
  std::string pid;
  bool failed_query = false;
  while (PGresult* raw_result = PQgetResult(d.raw())) {
    Result result(raw_result);
    if (PQresultStatus(result.get()) == PGRES_TUPLES_OK && PQntuples(result.get()) == 1)
      pid = PQgetvalue(result.get(), 0, 0);
    else if (d.failed(result.get()))
      failed_query = true;
  }
  if (failed_query) throw DriverError(fmt::format("cannot read the backend pid through {}", d.description));
  return pid;
}

std::optional<std::string> PostgresDriver::topology_note() const {
  if (m_impl->topology_note.empty()) return std::nullopt;
  return m_impl->topology_note;
}

std::optional<std::string> PostgresDriver::read_only_reason() {
  // pg_is_in_recovery() is volatile, so pgpool-II sends this query to the primary; a bare
  // pg_backend_pid() it may load-balance to a standby. The pid the connection reported is
  // either, depending on pgpool's connection cache.
  const auto rows = query(
      "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only'), "
      "current_setting('transaction_read_only'), pg_backend_pid()");
  const Row& row = rows.at(0);
  const Value reader = query("SELECT pg_backend_pid()").at(0).at(0);
  if (row.at(3) != reader || row.at(3).value_or("") != std::to_string(m_impl->backend_pid)) {
    if (std::optional<std::string> pool = pgpool_reason()) return pool;
  }
  const std::string server = m_impl->server();
  if (is_on(row.at(0))) {
    return fmt::format(
        "cannot migrate {}: it is a PostgreSQL standby (pg_is_in_recovery() is true) and accepts no writes; point "
        "--database at the primary (with several hosts in the URL, add target_session_attrs=read-write)",
        server);
  }
  for (const auto& [setting, value] :
       {std::pair{"default_transaction_read_only", row.at(1)}, std::pair{"transaction_read_only", row.at(2)}}) {
    if (is_on(value)) {
      return fmt::format(
          "cannot migrate {}: {} is on for this session, so it cannot write; point --database at the primary, or "
          "turn {} off for this user or database",
          server, setting, setting);
    }
  }
  return std::nullopt;
}

std::optional<std::string> PostgresDriver::pgpool_reason() {
  Impl& d = *m_impl;
  // pgpool answers SHOW pool_* itself only in the simple query protocol (query() uses the
  // extended one).
  auto show = [&](const char* what) { return rows_of(d.run(what).get()); };
  std::vector<Row> version;
  try {
    version = show("SHOW pool_version");
  } catch (const DriverError&) {
    return std::nullopt;  // some other pooler (PgBouncer passes the SHOW on to the server)
  }
  std::string load_balancing = "?";
  for (const Row& item : show("SHOW pool_status")) {
    if (item.size() >= 2 && item[0].value_or("") == "load_balance_mode")
      load_balancing = is_on(item[1]) || item[1] == "1" ? "on" : "off";
  }
  // SHOW pool_nodes: node_id, hostname, port, status, …, role (its column moved between
  // versions), …
  std::optional<std::string> primary;
  for (const Row& node : show("SHOW pool_nodes")) {
    const bool is_primary = std::any_of(node.begin() + std::min<size_t>(3, node.size()), node.end(),
                                        [](const Value& cell) { return cell.value_or("") == "primary"; });
    if (is_primary && node.size() >= 3) primary = host_port(node[1].value_or(""), node[2].value_or(""));
  }
  const std::string why = fmt::format(
      "with load_balance_mode {} it sends strata's reads to another server session than its writes, so the version "
      "table may be read from a standby that has not replayed the last migration yet, and the migration lock is not "
      "held where strata checks it",
      load_balancing);
  const std::string instead = primary ? fmt::format("point --database at the primary {} directly: {}", *primary,
                                                    with_hosts(d.description, *primary))
                                      : std::string("point --database at the primary directly");
  return fmt::format("cannot migrate through pgpool-II {} at {}: {}; {}", version.at(0).at(0).value_or("?"), d.server(),
                     why, instead);
}

void PostgresDriver::unlock() noexcept {
  Impl& d = *m_impl;
  if (d.lease) {
    if (d.in_transaction && d.connected() && PQtransactionStatus(d.raw()) == PQTRANS_INERROR) rollback();
    d.lease->unlock();
  }
  if (!d.locked) return;
  d.locked = false;
  // A failed transaction cannot run anything until it is rolled back, and cannot commit.
  if (d.in_transaction && d.connected() && PQtransactionStatus(d.raw()) == PQTRANS_INERROR) rollback();
  try {
    query("SELECT pg_advisory_unlock(?::bigint)", {std::to_string(d.lock_key)});
  } catch (...) {
    // A lost session has released the lock already.
  }
}

void PostgresDriver::cancel() noexcept {
  if (m_impl->cancel_handle == nullptr) return;
  char error[256];
  PQcancel(m_impl->cancel_handle, error, sizeof error);
}

std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options) {
  return std::make_unique<PostgresDriver>(url, options);
}

}  // namespace strata::drivers::postgres
