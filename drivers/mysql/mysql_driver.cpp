#include "drivers/mysql/mysql_driver.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <fmt/format.h>
#include <mysql_connection.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/sql_words.hpp"
#include "drivers/lease_lock.hpp"
#include "drivers/mysql/piece_layout.hpp"

namespace strata::drivers::mysql {
namespace {

constexpr int k_default_port = 3306;
constexpr std::string_view k_default_host = "127.0.0.1";
constexpr int k_min_connect_timeout_seconds = 2;
constexpr std::chrono::milliseconds k_lock_poll_interval{50};
constexpr std::size_t k_max_lock_name = 64;  // MySQL refuses longer GET_LOCK names
constexpr std::size_t k_hashed_lock_name_digits = 40;
constexpr int k_parse_error = 1064;              // ER_PARSE_ERROR
constexpr int k_unknown_system_variable = 1193;  // ER_UNKNOWN_SYSTEM_VARIABLE
constexpr int k_ssl_connection_error = 2026;     // CR_SSL_CONNECTION_ERROR
constexpr std::size_t k_batch_limit = 1000;      // statements per execute_batch() round trip

std::string format_timeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms >= 1000 && ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

// Server messages quote the statement after "near", newlines included; ours are one line.
std::string one_line(std::string_view text) {
  std::string line;
  line.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    line += text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
  }
  return line;
}

// "<message> (MySQL error 1146, SQLSTATE 42S02)"; connector-side errors have no code.
std::string error_text(const sql::SQLException& e) {
  std::string text = redact_passwords(one_line(e.what()));
  if (e.getErrorCode() != 0) {
    text += fmt::format(" (MySQL error {}", e.getErrorCode());
    if (!e.getSQLState().empty()) text += fmt::format(", SQLSTATE {}", e.getSQLState());
    text += ')';
  }
  return text;
}

// The 1-based byte offset in `sql` of a syntax error: ER_PARSE_ERROR ends with
// "near '<the statement from the error on>' at line N". nullopt when the message has no such
// tail or the quoted text cannot be found on that line or after it.
std::optional<std::size_t> syntax_error_position(std::string_view sql, std::string_view message) {
  constexpr std::string_view k_near = "near '";
  constexpr std::string_view k_at_line = "' at line ";
  const auto near = message.find(k_near);
  const auto at_line = message.rfind(k_at_line);
  if (near == std::string_view::npos || at_line == std::string_view::npos || at_line < near) return std::nullopt;
  long line = 0;
  for (char c : message.substr(at_line + k_at_line.size())) {
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    line = line * 10 + (c - '0');
    if (line > 1000000) return std::nullopt;
  }
  if (line < 1) return std::nullopt;
  std::size_t line_start = 0;
  for (long n = 1; n < line; ++n) {
    line_start = sql.find('\n', line_start);
    if (line_start == std::string_view::npos) return std::nullopt;
    ++line_start;
  }
  const std::string_view quoted = message.substr(near + k_near.size(), at_line - near - k_near.size());
  // Nothing quoted: the statement ended too early.
  if (quoted.empty()) return sql.size();
  // The server cuts the quote short (possibly inside a character); a prefix locates it.
  const std::string_view probe = quoted.substr(0, std::min<std::size_t>(quoted.size(), 32));
  const auto found = sql.find(probe, line_start);
  if (found == std::string_view::npos) return std::nullopt;
  return found + 1;
}

DriverError driver_error(const sql::SQLException& e, std::string_view sql = {}) {
  std::optional<std::size_t> position;
  if (e.getErrorCode() == k_parse_error && !sql.empty()) position = syntax_error_position(sql, e.what());
  return DriverError(error_text(e), e.getSQLState(), position);
}

// The error of statement `failed` (0-based, > 0) of a piece that holds several (see
// PieceLayout): the statements before it have run. Where the layout is exact, the message names
// the statement and the position points into it, so the runner reports its line.
DriverError later_statement_error(const sql::SQLException& e, std::string_view sql, size_t failed) {
  const PieceLayout layout = piece_layout(sql);
  if (!layout.exact || failed >= layout.starts.size()) {
    return DriverError(fmt::format("{} in a later statement of this block (those before it had run)", error_text(e)),
                       e.getSQLState());
  }
  const size_t start = layout.starts[failed];
  std::optional<std::size_t> position = start + 1;
  if (e.getErrorCode() == k_parse_error) {
    // The server counts the lines of its message from the failing statement's first token.
    if (const auto inside = syntax_error_position(sql.substr(start), e.what())) position = start + *inside;
  }
  const std::string before = failed == 1 ? "statement 1 before it" : fmt::format("statements 1–{} before it", failed);
  return DriverError(fmt::format("{} in statement {} of {} of this block ({}); {} had run", error_text(e), failed + 1,
                                 layout.starts.size(), piece_statement(sql, layout, failed), before),
                     e.getSQLState(), position);
}

std::string lock_name(const std::string& database, const std::string& table) {
  std::string name = fmt::format("strata:{}.{}", database, table);
  if (name.size() <= k_max_lock_name) return name;
  return "strata:" + sha256_hex(name).substr(0, k_hashed_lock_name_digits);
}

// Server errors that mean "this setting cannot be used here": the URL is at fault (exit 2).
bool refuses_setting(const sql::SQLException& e) {
  switch (e.getErrorCode()) {
    case 1115:  // ER_UNKNOWN_CHARACTER_SET
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR (SUPER needed)
    case 1228:  // ER_LOCAL_VARIABLE
    case 1229:  // ER_GLOBAL_VARIABLE
    case 1231:  // ER_WRONG_VALUE_FOR_VAR
    case 1232:  // ER_WRONG_TYPE_FOR_VAR
    case 1238:  // ER_INCORRECT_GLOBAL_LOCAL_VAR (read only)
    case 1253:  // ER_COLLATION_CHARSET_MISMATCH
    case 1273:  // ER_UNKNOWN_COLLATION
    case 1298:  // ER_UNKNOWN_TIME_ZONE
      return true;
    default: return false;
  }
}

// What to do about a failed TLS handshake (2026), for the connect error.
std::string tls_advice(const DatabaseUrl& url, const sql::SQLException& e) {
  const MysqlSettings& settings = url.mysql;
  if (e.getErrorCode() != k_ssl_connection_error || settings.tls != MysqlTls::verify) return {};
  if (settings.tls_ca.empty())
    return "; tls=true verifies the server's certificate against the system's trusted CAs: name the server's CA "
           "with ssl-ca=FILE (x-tls-ca=FILE), or use tls=skip-verify to encrypt without verifying";
  return fmt::format(
      "; tls=true verifies the server's certificate against {} and checks that it was issued for the host {}: connect "
      "by a name the certificate holds, or use tls=skip-verify to encrypt without verifying",
      settings.tls_ca, url.host.empty() ? std::string(k_default_host) : url.host);
}

// Whole seconds, at least 1: the client library's timeouts are in seconds.
int whole_seconds(std::chrono::milliseconds duration) {
  return static_cast<int>(std::clamp<std::chrono::seconds::rep>(
      std::chrono::ceil<std::chrono::seconds>(duration).count(), 1, std::numeric_limits<int>::max()));
}

// The connector's options for `url` (its settings) and `options`.
sql::ConnectOptionsMap connect_options_for(const DatabaseUrl& url, const OpenOptions& options) {
  const MysqlSettings& settings = url.mysql;
  sql::ConnectOptionsMap connect_options;
  if (!settings.socket.empty()) {
    connect_options["hostName"] = "unix://" + settings.socket;
  } else {
    const std::string host = url.host.empty() ? std::string(k_default_host) : url.host;
    const int port = url.port.value_or(k_default_port);
    const bool ipv6 = host.find(':') != std::string::npos;
    connect_options["hostName"] =
        ipv6 ? fmt::format("tcp://[{}]:{}", host, port) : fmt::format("tcp://{}:{}", host, port);
  }
  connect_options["userName"] = url.user;
  if (url.password) connect_options["password"] = *url.password;
  connect_options["schema"] = url.database;
  connect_options["OPT_CONNECT_TIMEOUT"] =
      settings.connect_timeout ? whole_seconds(*settings.connect_timeout)
                               : std::max(k_min_connect_timeout_seconds, whole_seconds(options.busy_timeout));
  if (settings.read_timeout) connect_options["OPT_READ_TIMEOUT"] = whole_seconds(*settings.read_timeout);
  if (settings.write_timeout) connect_options["OPT_WRITE_TIMEOUT"] = whole_seconds(*settings.write_timeout);
  connect_options["OPT_CHARSET_NAME"] = settings.charset;
  if (settings.compress) connect_options["CLIENT_COMPRESS"] = true;
  if (settings.cleartext_passwords) connect_options["OPT_ENABLE_CLEARTEXT_PLUGIN"] = true;
  // With libmariadb, TLS is asked for by sslEnforce and verified by sslVerify (OPT_SSL_MODE is
  // ignored); certificate files alone turn TLS on. require_tls() checks the result.
  if (settings.tls != MysqlTls::off) connect_options["sslEnforce"] = true;
  if (settings.tls == MysqlTls::verify) connect_options["sslVerify"] = true;
  if (settings.tls != MysqlTls::off) {
    if (!settings.tls_ca.empty()) connect_options["sslCA"] = settings.tls_ca;
    if (!settings.tls_cert.empty()) connect_options["sslCert"] = settings.tls_cert;
    if (!settings.tls_key.empty()) connect_options["sslKey"] = settings.tls_key;
  }
  // A reconnect would silently continue in a new session without the GET_LOCK.
  connect_options["OPT_RECONNECT"] = false;
  // For execute_batch() and for pieces that hold several statements; strata's own queries send one.
  connect_options["CLIENT_MULTI_STATEMENTS"] = true;
  return connect_options;
}

// mysqlcppconn's driver registry and the client library's first-time initialisation are not
// thread-safe; connecting is rare, so it is serialised.
std::mutex& connect_mutex() {
  static std::mutex mutex;
  return mutex;
}

Row read_row(const sql::ResultSet& result, unsigned int columns) {
  Row row;
  row.reserve(columns);
  for (unsigned int column = 1; column <= columns; ++column) {
    if (result.isNull(column))
      row.emplace_back(std::nullopt);
    else
      row.emplace_back(result.getString(column).asStdString());
  }
  return row;
}

// The statements in [begin, end) joined into one multi-statement string, inside
// START TRANSACTION … COMMIT when `wrap`.
template <typename Iterator>
std::string multi_statement(Iterator begin, Iterator end, bool wrap) {
  size_t size = wrap ? 32 : 0;
  for (Iterator it = begin; it != end; ++it) size += std::string_view(*it).size() + 2;
  std::string text;
  text.reserve(size);
  if (wrap) text += "START TRANSACTION;\n";
  for (Iterator it = begin; it != end; ++it) {
    text += *it;
    text += ";\n";
  }
  if (wrap) text += "COMMIT";
  return text;
}

std::vector<Row> read_rows(sql::ResultSet& result) {
  // The metadata belongs to the result set.
  const unsigned int columns = result.getMetaData()->getColumnCount();
  std::vector<Row> rows;
  while (result.next()) rows.push_back(read_row(result, columns));
  return rows;
}

}  // namespace

struct MysqlDriver::Impl {
  std::string redacted;
  std::string database;
  std::string server;  // host:port or the socket path, for messages
  std::unique_ptr<sql::Connection> connection;
  sql::ConnectOptionsMap connect_options;  // to open the second connection cancel() needs
  std::string connection_id;               // CONNECTION_ID() of `connection`
  bool lower_case_table_names = false;     // the server stores and compares table names in lower case
  bool in_transaction = false;
  // A migration's own statements opened a transaction (BEGIN, START TRANSACTION) or took over
  // autocommit (SET autocommit): batches are then not wrapped in a transaction of strata's,
  // whose START TRANSACTION would commit the file's transaction early.
  bool file_transaction = false;
  bool file_autocommit = false;          // SET autocommit: for the rest of the session
  std::optional<std::string> held_lock;  // the GET_LOCK name while lock() holds it

  // Galera: detected at the first lock() or lock_holder(); then the lease is the migration lock.
  DatabaseUrl url;  // to open the lease's second connection
  OpenOptions options;
  std::optional<bool> cluster;
  std::string topology_note;
  std::unique_ptr<LeaseLock> lease;  // last: released before the connection closes

  // Sends `text` over the text protocol and reads every result the server returns for it: an
  // unread result fails the next command with 2014 "Commands out of sync". `read` counts the
  // results read; when the connector throws, the failing statement's result is number `read`
  // (0-based). Returns the rows of result number `keep`, if it is a result set.
  //
  // The server answers each statement with one result (a CALL with one per result set of the
  // procedure, plus one). getMoreResults() moves to the next result and says whether it is a
  // result set; for an update count it returns false just as it does when there are no more,
  // and connector 1.1 offers no way to tell the two apart (getUpdateCount() is reset by the
  // move). Calling it when there are no more results does nothing, so it is called once more
  // for every semicolon in the text: a statement ends at a semicolon, so the text cannot hold
  // more update counts than that. Result sets do not use up that allowance.
  std::vector<Row> send(const std::string& text, size_t& read, size_t keep = 0) {
    std::unique_ptr<sql::Statement> statement(connection->createStatement());
    std::vector<Row> rows;
    bool has_result_set = statement->execute(text);
    size_t allowance = static_cast<size_t>(std::count(text.begin(), text.end(), ';'));
    for (;;) {
      if (has_result_set) {
        std::unique_ptr<sql::ResultSet> result(statement->getResultSet());
        if (result && read == keep) rows = read_rows(*result);
      }
      ++read;
      if (!has_result_set && allowance-- == 0) break;
      has_result_set = statement->getMoreResults();
    }
    return rows;
  }

  // send() for strata's own statements and queries: the rows of the first result.
  std::vector<Row> run(const std::string& sql) {
    size_t read = 0;
    return send(sql, read);
  }

  // Runs one piece of a migration, which may hold several statements (see PieceLayout), and
  // names the failing one in the error: its number in the piece, and where the layout is exact,
  // its text and its position (so the runner reports its line).
  void run_piece(std::string_view sql) {
    size_t read = 0;
    try {
      send(std::string(sql), read);
    } catch (const sql::SQLException& e) {
      if (read == 0) throw driver_error(e, sql);
      throw later_statement_error(e, sql, read);
    }
  }

  // Sends statements[first, first + count) as one multi-statement string. The server answers
  // each statement with exactly one result (none of them is a CALL or holds several statements)
  // and stops at the first error, which the connector raises when that statement's result is
  // read: counting the results read names the failing statement.
  //
  // Outside a transaction the run is wrapped in START TRANSACTION … COMMIT (in the same string):
  // one commit per batch instead of one per statement, which is what makes a long run of
  // INSERTs fast. When a statement fails, the ones before it are committed, as they would have
  // been one at a time. A batch the server has received is all or nothing: killed meanwhile, strata
  // leaves the server to finish it (COMMIT included) or to roll it back if the connection dies first.
  void run_batch(const std::vector<std::string_view>& statements, size_t first, size_t count) {
    const bool wrap = !in_transaction && !file_transaction && !file_autocommit && count > 1;
    const auto begin = statements.begin() + static_cast<std::ptrdiff_t>(first);
    const std::string text = multi_statement(begin, begin + static_cast<std::ptrdiff_t>(count), wrap);
    const size_t results = count + (wrap ? 2 : 0);
    const size_t offset = wrap ? 1 : 0;  // the result of statements[first] is number `offset`
    size_t done = 0;
    try {
      send(text, done);
    } catch (const sql::SQLException& e) {
      const size_t index = std::min(done >= offset ? done - offset : 0, count - 1);
      if (wrap && done < results - 1) {
        try {
          run("COMMIT");  // keep what ran before the failing statement
        } catch (const sql::SQLException&) {
          // The connection is gone: the server rolls the batch back.
        }
      }
      // The server quotes the failing statement alone and counts its lines from its first token.
      throw StatementFailed(first + index, driver_error(e, statements[first + index]));
    }
  }
};

MysqlDriver::MysqlDriver(const DatabaseUrl& url, const OpenOptions& options) : m_impl(std::make_unique<Impl>()) {
  Impl& d = *m_impl;
  d.redacted = url.redacted;
  d.database = url.database;
  d.server = !url.mysql.socket.empty() ? url.mysql.socket
                                       : fmt::format("{}:{}", url.host.empty() ? k_default_host : url.host,
                                                     url.port.value_or(k_default_port));
  if (d.database.empty()) throw UsageError(fmt::format("the mysql URL {} names no database", url.redacted));
  d.url = url;
  d.options = options;

  const MysqlSettings& settings = url.mysql;
  sql::ConnectOptionsMap connect_options = connect_options_for(url, options);
  try {
    const std::lock_guard<std::mutex> guard(connect_mutex());
    d.connection.reset(sql::mysql::get_mysql_driver_instance()->connect(connect_options));
  } catch (const sql::SQLException& e) {
    throw DriverError(fmt::format("cannot connect to {}: {}{}", url.redacted, error_text(e), tls_advice(url, e)),
                      e.getSQLState());
  }
  if (!d.connection) throw DriverError(fmt::format("cannot connect to {}", url.redacted));

  try {
    d.run(settings.collation.empty() ? fmt::format("SET NAMES {}", settings.charset)
                                     : fmt::format("SET NAMES {} COLLATE {}", settings.charset, settings.collation));
    const auto session = d.run("SELECT @@lower_case_table_names, CONNECTION_ID()");
    if (!session.empty() && session[0].size() == 2) {
      d.lower_case_table_names = session[0][0] && *session[0][0] != "0";
      if (session[0][1]) d.connection_id = *session[0][1];
    }
    d.connect_options = connect_options;
  } catch (const sql::SQLException& e) {
    if (refuses_setting(e))
      throw UsageError(fmt::format("cannot use charset={}{} from database URL {}: {}", settings.charset,
                                   settings.collation.empty() ? "" : " and collation=" + settings.collation,
                                   url.redacted, error_text(e)));
    throw DriverError(fmt::format("cannot set up the session on {}: {}", url.redacted, error_text(e)), e.getSQLState());
  }
  if (settings.tls == MysqlTls::verify || settings.tls == MysqlTls::skip_verify) require_tls(url);
  for (const MysqlSessionVariable& variable : settings.session_variables) set_session_variable(url, variable);
}

void MysqlDriver::require_tls(const DatabaseUrl& url) {
  // The client library falls back to plain TCP when the server offers no TLS, whatever it was asked.
  const auto cipher = query("SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = ?",
                            {std::string("Ssl_cipher")});
  if (cipher.empty() || cipher[0].empty() || !cipher[0][0] || cipher[0][0]->empty())
    throw DriverError(fmt::format("cannot connect to {}: the server does not offer TLS, which tls={} requires",
                                  url.redacted, url.mysql.tls == MysqlTls::verify ? "true" : "skip-verify"));
}

void MysqlDriver::set_session_variable(const DatabaseUrl& url, const MysqlSessionVariable& variable) {
  const std::string value = variable.literal ? quote_literal(variable.value) : variable.value;
  try {
    m_impl->run(fmt::format("SET SESSION {} = {}", quote_identifier(variable.name), value));
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() == k_unknown_system_variable)
      throw UsageError(fmt::format(
          "unsupported parameter '{}' in database URL {}: neither a parameter of the mysql driver nor a session "
          "variable of this server ({})",
          variable.name, url.redacted, error_text(e)));
    if (refuses_setting(e))
      throw UsageError(fmt::format("cannot set session variable '{}' from database URL {}: {}", variable.name,
                                   url.redacted, error_text(e)));
    throw DriverError(fmt::format("cannot set up the session on {}: {}", url.redacted, error_text(e)), e.getSQLState());
  }
}

MysqlDriver::~MysqlDriver() {
  // Closing the connection releases the lock as well; releasing first frees it without the
  // server's delay in noticing the disconnect.
  unlock();
}

Dialect MysqlDriver::dialect() const noexcept {
  return Dialect::mysql;
}

void MysqlDriver::note_transaction_control(std::string_view sql) noexcept {
  const std::string two = leading_words(sql, 2);
  const std::string first = two.substr(0, two.find(' '));
  if (first == "SET" && leading_words(sql, 3).find("AUTOCOMMIT") != std::string::npos)
    m_impl->file_autocommit = true;
  else if ((first == "BEGIN" && two != "BEGIN NOT") || two == "START TRANSACTION")
    m_impl->file_transaction = true;
  else if (first == "COMMIT" || (first == "ROLLBACK" && two != "ROLLBACK TO"))
    m_impl->file_transaction = false;
}

bool MysqlDriver::batchable(std::string_view sql) const noexcept {
  return is_data_change(sql) && !piece_layout(sql).several();
}

void MysqlDriver::execute_batch(const std::vector<std::string_view>& statements) {
  // A CALL answers with a result per result set of the procedure plus one, and a piece that
  // holds several statements with one per statement: each goes alone, so that counting results
  // still names the failing piece.
  auto alone = [](std::string_view sql) { return leading_words(sql, 1) == "CALL" || piece_layout(sql).several(); };
  size_t first = 0;
  while (first < statements.size()) {
    size_t end = first + 1;
    if (!alone(statements[first])) {
      while (end < statements.size() && !alone(statements[end])) ++end;
    }
    if (end - first == 1) {
      const PieceLayout layout = piece_layout(statements[first]);
      if (layout.several()) {
        for (size_t start : layout.starts) note_transaction_control(statements[first].substr(start));
      } else {
        note_transaction_control(statements[first]);
      }
      try {
        m_impl->run_piece(statements[first]);
      } catch (const DriverError& e) {
        throw StatementFailed(first, e);
      }
    } else {
      note_transaction_control(statements[first]);
      m_impl->run_batch(statements, first, end - first);
    }
    first = end;
  }
}

size_t MysqlDriver::batch_statements() const noexcept {
  return k_batch_limit;
}

std::vector<Row> MysqlDriver::query(std::string_view sql, const Params& params) {
  // Values are bound as literals: a server-side prepared statement costs two round trips.
  try {
    return m_impl->run(params.empty() ? std::string(sql) : bind_literals(sql, params));
  } catch (const sql::SQLException& e) {
    throw driver_error(e, sql);
  }
}

std::vector<Row> MysqlDriver::commit_with(const std::vector<std::string>& statements) {
  Impl& d = *m_impl;
  // One string: START TRANSACTION (unless begin() opened one), the statements and COMMIT.
  const bool own = !d.in_transaction;
  if (d.lease) d.lease->check_held();
  d.file_transaction = false;  // START TRANSACTION and COMMIT end any transaction of the file's
  std::string text = multi_statement(statements.begin(), statements.end(), own);
  if (!own) text += "COMMIT";
  const size_t offset = own ? 1 : 0;  // the result of statements[k] is number k + offset
  size_t done = 0;
  try {
    std::vector<Row> rows = d.send(text, done, statements.empty() ? 0 : statements.size() - 1 + offset);
    d.in_transaction = false;
    return rows;
  } catch (const sql::SQLException& e) {
    d.in_transaction = true;
    rollback();
    const size_t index = std::min(done >= offset ? done - offset : 0, statements.size());
    throw StatementFailed(index, driver_error(e, index < statements.size() ? statements[index] : "COMMIT"));
  }
}

std::string MysqlDriver::quote_literal(std::string_view text) const {
  // The connector escapes as the session requires (NO_BACKSLASH_ESCAPES included).
  auto* native = dynamic_cast<sql::mysql::MySQL_Connection*>(m_impl->connection.get());
  if (native == nullptr) throw DriverError("the MySQL connection cannot escape values");
  const sql::SQLString escaped = native->escapeString(sql::SQLString(std::string(text)));
  return fmt::format("'{}'", escaped.asStdString());
}

// "held by connection 42 (user strata@localhost:40312, database app, idle for 3 s)", or
// less when the server does not say (the holder is gone, or PROCESSLIST hides it).
std::optional<Driver::LockHolder> MysqlDriver::holder_of(const std::string& name) {
  const auto holder = query("SELECT IS_USED_LOCK(?)", {name});
  if (holder.empty() || holder[0].empty() || !holder[0][0]) return std::nullopt;
  const std::string& id = *holder[0][0];
  if (id == m_impl->connection_id) return std::nullopt;  // this connection holds it
  LockHolder out;
  out.description = fmt::format("connection {}", id);
  out.end_it = fmt::format("KILL {}", id);
  const auto process =
      query("SELECT USER, HOST, DB, COMMAND, TIME FROM information_schema.PROCESSLIST WHERE ID = ?", {id});
  if (process.empty() || process[0].size() != 5) return out;
  const Row& row = process[0];
  std::string details = fmt::format("user {}@{}", row[0].value_or(""), row[1].value_or(""));
  if (row[2]) details += fmt::format(", database {}", *row[2]);
  const std::string seconds = row[4].value_or("?");
  if (row[3].value_or("") == "Sleep")
    details += fmt::format(", idle for {} s", seconds);
  else
    details += fmt::format(", running a statement for {} s", seconds);
  out.description += fmt::format(" ({})", details);
  return out;
}

std::optional<Driver::LockHolder> MysqlDriver::lock_holder(const TableName& table) {
  if (!table.schema.empty()) return std::nullopt;
  if (LeaseLock* lease = cluster_lease()) return lease->holder(table);
  return holder_of(lock_name(m_impl->database, table.name));
}

LeaseLock* MysqlDriver::cluster_lease() {
  Impl& d = *m_impl;
  if (!d.cluster) {
    // A wsrep provider reports a cluster size; a server without one reports 0 or nothing.
    const auto size = query("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'");
    d.cluster = !size.empty() && size[0].size() == 2 && size[0][1] && *size[0][1] != "0" && !size[0][1]->empty();
    if (*d.cluster) {
      const auto wsrep = query("SELECT @@session.wsrep_on, @@global.wsrep_node_name");
      d.cluster = !wsrep.empty() && wsrep[0].size() == 2 && wsrep[0][0].value_or("0") == "1";
      if (*d.cluster) {
        const std::string node = wsrep[0][1].value_or("");
        d.lease = std::make_unique<LeaseLock>(
            *this, [url = d.url, options = d.options] { return std::make_unique<MysqlDriver>(url, options); },
            d.url.lock_lease.value_or(LeaseLock::k_default_lease), LeaseLock::Identity{d.connection_id, node},
            d.redacted);
        d.topology_note = fmt::format(
            "Galera cluster of {} nodes (connected to node {}): GET_LOCK holds one node only, so the migration lock is "
            "a "
            "lease row in the lock table, {}, and reads wait for the cluster to catch up (wsrep_sync_wait)",
            size[0][1].value_or("?"), node.empty() ? "?" : node, d.lease->describe_lease());
      }
    }
  }
  return d.lease.get();
}

std::optional<std::string> MysqlDriver::topology_note() const {
  if (m_impl->topology_note.empty()) return std::nullopt;
  return m_impl->topology_note;
}

std::optional<std::string> MysqlDriver::read_only_reason() {
  // SHOW VARIABLES answers on MySQL and MariaDB alike, leaving out what the server lacks
  // (super_read_only on MariaDB, tx_read_only on MySQL 8).
  const std::vector<Row> rows = query(
      "SHOW VARIABLES WHERE Variable_name IN "
      "('read_only', 'super_read_only', 'innodb_read_only', 'transaction_read_only', 'tx_read_only')");
  auto on = [&](std::string_view name) {
    return std::any_of(rows.begin(), rows.end(), [&](const Row& row) {
      return row.size() >= 2 && row[0].value_or("") == name && (row[1].value_or("") == "ON" || row[1] == "1");
    });
  };
  const std::string where = fmt::format("{} (database {})", m_impl->server, m_impl->database);
  for (std::string_view setting : {"read_only", "super_read_only", "innodb_read_only"}) {
    if (on(setting)) {
      return fmt::format(
          "cannot migrate {}: the server runs with {} = ON (a replica, or a server set aside for reads); strata "
          "refuses to write there even for a user whose privileges would allow it; point --database at the primary",
          where, setting);
    }
  }
  for (std::string_view setting : {"transaction_read_only", "tx_read_only"}) {
    if (on(setting)) {
      return fmt::format(
          "cannot migrate {}: {} is ON for this session, so it cannot write; point --database at the primary, or "
          "leave {} out of the URL",
          where, setting, setting);
    }
  }
  return std::nullopt;
}

void MysqlDriver::begin() {
  if (m_impl->in_transaction) throw DriverError("begin(): a transaction is already open");
  if (m_impl->lease) m_impl->lease->check_held();
  m_impl->run_piece("START TRANSACTION");
  m_impl->in_transaction = true;
  m_impl->file_transaction = false;  // START TRANSACTION committed any transaction of the file's
}

void MysqlDriver::commit() {
  if (!m_impl->in_transaction) throw DriverError("commit(): no transaction is open");
  m_impl->in_transaction = false;
  m_impl->run_piece("COMMIT");
}

void MysqlDriver::rollback() noexcept {
  // Without a transaction ROLLBACK does nothing on the server; it is skipped so that a broken
  // connection is not touched for nothing.
  if (!m_impl->in_transaction) return;
  m_impl->in_transaction = false;
  try {
    m_impl->run("ROLLBACK");
  } catch (...) {
    // The server rolls back when the connection ends; a failure here has nothing left to undo.
  }
}

void MysqlDriver::set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) {
  // Session variables: no pooler sits between strata and MySQL. lock_wait_timeout bounds the
  // wait for a table's metadata lock (DDL), innodb_lock_wait_timeout the wait for a row lock.
  // Both count whole seconds.
  if (!timeout) {
    execute("SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT");
    return;
  }
  const auto seconds = std::max<long long>(1, (timeout->count() + 999) / 1000);
  execute(fmt::format("SET SESSION lock_wait_timeout = {}, innodb_lock_wait_timeout = {}", seconds, seconds));
}

bool MysqlDriver::is_lock_timeout(const DriverError& error) const noexcept {
  // error_text() puts the server's error number in every message.
  return std::string_view(error.what()).find("(MySQL error 1205,") != std::string_view::npos;
}

bool MysqlDriver::table_exists(const TableName& table) {
  if (!table.schema.empty())
    throw UsageError(fmt::format("MySQL has no schemas inside a database: cannot use table {}", table.display()));
  // information_schema compares names ignoring case whatever the server does; the exact rule is
  // applied here.
  const auto rows = query(
      "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? "
      "AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
      {table.name});
  const auto same = [&](const std::string& name) {
    if (!m_impl->lower_case_table_names) return name == table.name;
    return std::equal(name.begin(), name.end(), table.name.begin(), table.name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  };
  return std::any_of(rows.begin(), rows.end(), [&](const Row& row) { return !row.empty() && row[0] && same(*row[0]); });
}

std::string MysqlDriver::quote_identifier(std::string_view identifier) const {
  return quote_with(identifier, '`');
}

void MysqlDriver::lock(const TableName& table, std::chrono::milliseconds timeout) {
  Impl& d = *m_impl;
  if (!table.schema.empty())
    throw UsageError(fmt::format("MySQL has no schemas inside a database: cannot use table {}", table.display()));
  if (LeaseLock* lease = cluster_lease()) {
    if (lease->held()) return;
    lease->lock(table, timeout);
    // Reads see every write the cluster has committed before them: the version row the last
    // holder wrote through another node included.
    execute("SET SESSION wsrep_sync_wait = 1");
    return;
  }
  const std::string name = lock_name(d.database, table.name);
  if (d.held_lock) {
    if (*d.held_lock == name) return;
    throw std::logic_error("MysqlDriver::lock: already holding the lock of another table");
  }

  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds::zero());
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto wait = std::chrono::floor<std::chrono::seconds>(std::max(deadline - now, {}));
    const auto result = query(fmt::format("SELECT GET_LOCK(?, {})", wait.count()), {name});
    if (result.empty() || result[0].empty() || !result[0][0])
      throw DriverError(fmt::format("could not take the migration lock on {} (table {}): GET_LOCK failed", d.redacted,
                                    table.display()));
    if (*result[0][0] == "1") {
      d.held_lock = name;
      return;
    }
    const auto after = std::chrono::steady_clock::now();
    if (after >= deadline) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(k_lock_poll_interval, deadline - after));
  }
  std::string message = fmt::format("could not take the migration lock on {} (table {}) within {}", d.redacted,
                                    table.display(), format_timeout(timeout));
  try {
    if (std::optional<LockHolder> holder = holder_of(name)) {
      message += fmt::format(": held by {}; if that connection is dead or stuck, end it with `{}`", holder->description,
                             holder->end_it);
    }
  } catch (const DriverError&) {
    // The timeout is the error to report; who holds the lock is a bonus.
  }
  throw LockTimeout(message);
}

void MysqlDriver::unlock() noexcept {
  Impl& d = *m_impl;
  if (d.lease) d.lease->unlock();
  if (!d.held_lock) return;
  const std::string name = std::move(*d.held_lock);
  d.held_lock.reset();
  try {
    query("SELECT RELEASE_LOCK(?)", {name});
  } catch (...) {
    // A lost connection has released the lock already.
  }
}

void MysqlDriver::cancel() noexcept {
  if (m_impl->connection_id.empty()) return;
  try {
    sql::ConnectOptionsMap options = m_impl->connect_options;
    std::unique_ptr<sql::Connection> killer;
    {
      const std::lock_guard<std::mutex> guard(connect_mutex());
      killer.reset(sql::mysql::get_mysql_driver_instance()->connect(options));
    }
    std::unique_ptr<sql::Statement> statement(killer->createStatement());
    statement->execute("KILL QUERY " + m_impl->connection_id);
  } catch (...) {
    // Best effort: the statement then simply runs to its end.
  }
}

std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options) {
  return std::make_unique<MysqlDriver>(url, options);
}

}  // namespace strata::drivers::mysql
