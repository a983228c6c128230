#include "core/database_url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "core/error.hpp"

namespace strata {

namespace {

bool is_identifier(std::string_view text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) {
    return false;
  }
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; a malformed escape is kept literally rather than rejected, as libpq does.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key = percent_decode(item.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(item.substr(eq + 1));
    params.emplace_back(std::move(key), std::move(value));
  }
  return params;
}

// The query string without strata's own parameters (x-migrations-table, x-lock-lease), re-joined
// from the original (undecoded) text.
std::string strip_migrations_table(std::string_view query) {
  std::string kept;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::string_view key = item.substr(0, item.find('='));
    if (item.empty() || key == "x-migrations-table" || key == "x-lock-lease") continue;
    if (!kept.empty()) kept += '&';
    kept += item;
  }
  return kept;
}

bool is_password_key(std::string_view key) {
  return key == "password" || key == "pass" || key == "passwd";
}

// Redacts `password=` style parameters inside a query string.
std::string redact_query(std::string_view query) {
  std::string out;
  bool first = true;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && is_password_key(item.substr(0, eq))) {
      out += item.substr(0, eq);
      out += "=***";
    } else {
      out += item;
    }
  }
  return out;
}

struct NetworkParts {
  std::string userinfo_user;
  std::optional<std::string> password;
  std::string hostport;  // as written, without userinfo
  std::string path;      // after the first '/', without '?'
  std::string query;     // without '?'
};

// Splits "scheme://user:pass@host:port/path?query" after the scheme. The userinfo ends at
// the LAST '@' before the path so passwords containing '@' still work.
NetworkParts split_network(std::string_view rest) {
  NetworkParts parts;
  size_t qmark = rest.find('?');
  if (qmark != std::string_view::npos) {
    parts.query = std::string(rest.substr(qmark + 1));
    rest = rest.substr(0, qmark);
  }
  // golang-migrate's tcp(host:port) contains no '/', so the path starts at the first '/'
  // after the userinfo.
  size_t at = rest.rfind('@');
  std::string_view authority_and_path = rest;
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    authority_and_path = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    parts.userinfo_user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) parts.password = percent_decode(userinfo.substr(colon + 1));
  }
  // go-sql-driver's unix(/path/to/socket) holds slashes of its own.
  size_t slash = authority_and_path.find('/');
  if (authority_and_path.substr(0, 5) == "unix(") {
    const size_t close = authority_and_path.find(')');
    if (close != std::string_view::npos) slash = authority_and_path.find('/', close);
  }
  parts.hostport = std::string(authority_and_path.substr(0, slash));
  if (slash != std::string_view::npos) parts.path = std::string(authority_and_path.substr(slash + 1));
  return parts;
}

std::string build_redacted(std::string_view scheme, const NetworkParts& parts, std::string_view raw_query) {
  std::string out = fmt::format("{}://", scheme);
  if (!parts.userinfo_user.empty() || parts.password) {
    out += parts.userinfo_user;
    if (parts.password) out += ":***";
    out += '@';
  }
  out += parts.hostport;
  if (!parts.path.empty()) out += "/" + parts.path;
  if (!raw_query.empty()) out += "?" + redact_query(raw_query);
  return out;
}

void parse_host_port(std::string_view hostport, DatabaseUrl& url, std::string_view redacted) {
  // libpq's multi-host form host1:port1,host2:port2,…: each entry is checked; the first is the
  // one recorded (libpq tries them in order).
  if (url.dialect == Dialect::postgres && hostport.find(',') != std::string_view::npos) {
    std::optional<DatabaseUrl> first;
    for (size_t start = 0;;) {
      const size_t comma = std::min(hostport.find(',', start), hostport.size());
      DatabaseUrl entry;
      entry.dialect = url.dialect;
      parse_host_port(hostport.substr(start, comma - start), entry, redacted);
      if (!first) first = entry;
      if (comma == hostport.size()) break;
      start = comma + 1;
    }
    url.host = first->host;
    url.port = first->port;
    return;
  }
  if (hostport.substr(0, 5) == "unix(") {
    if (hostport.size() < 7 || hostport.back() != ')')
      throw UsageError(fmt::format("malformed database URL {}: expected unix(/path/to/socket)", redacted));
    if (url.dialect != Dialect::mysql)
      throw UsageError(fmt::format("malformed database URL {}: unix(…) hosts are MySQL's form", redacted));
    url.mysql.socket = percent_decode(hostport.substr(5, hostport.size() - 6));
    return;
  }
  if (hostport.size() > 5 && hostport.substr(0, 4) == "tcp(" && hostport.back() == ')') {
    hostport = hostport.substr(4, hostport.size() - 5);
  } else if (hostport.substr(0, 4) == "tcp(") {
    throw UsageError(fmt::format("malformed database URL {}: unclosed tcp(", redacted));
  }
  std::string_view host = hostport;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:5432
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      throw UsageError(fmt::format("malformed database URL {}: unclosed [", redacted));
    }
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') {
        throw UsageError(fmt::format("malformed database URL {}: bad host", redacted));
      }
      port = hostport.substr(close + 2);
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  url.host = percent_decode(host);
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535) {
        throw UsageError(fmt::format("malformed database URL {}: bad port '{}'", redacted, port));
      }
      value = value * 10 + (c - '0');
    }
    if (value == 0 || value > 65535) {
      throw UsageError(fmt::format("malformed database URL {}: bad port '{}'", redacted, port));
    }
    url.port = value;
  }
}

// x-lock-lease=SECONDS: whole seconds, 1 to 3600.
std::chrono::seconds parse_lock_lease(const std::string& value, const std::string& redacted) {
  long seconds = 0;
  bool ok = !value.empty() && value.size() <= 4;
  for (char c : value) {
    ok = ok && std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (ok) seconds = seconds * 10 + (c - '0');
  }
  if (!ok || seconds < 1 || seconds > 3600)
    throw UsageError(
        fmt::format("bad value '{}' for x-lock-lease in database URL {}: expected whole seconds from 1 to "
                    "3600 (how long a cluster-wide migration lock lasts without renewal)",
                    value, redacted));
  return std::chrono::seconds(seconds);
}

void take_migrations_table(DatabaseUrl& url) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& [key, value] : url.params) {
    if (key == "x-migrations-table") {
      url.migrations_table = value;
    } else if (key == "x-lock-lease") {
      url.lock_lease = parse_lock_lease(value, url.redacted);
    } else {
      kept.emplace_back(key, value);
    }
  }
  url.params = std::move(kept);
}

// ---------------------------------------------------------------- MySQL parameters

// go-sql-driver/mysql's boolean spellings (Go's strconv.ParseBool).
std::optional<bool> parse_bool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" || text == "True") return true;
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" || text == "False") return false;
  return std::nullopt;
}

// A Go duration ("30s", "1m30s", "500ms", "1.5h"), or a plain number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const bool plain =
      std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (plain) {
    if (text.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(std::string(text)));
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t number_start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == number_start || i - number_start > 12) return std::nullopt;
    const std::string number(text.substr(number_start, i - number_start));
    if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") return std::nullopt;
    const double value = std::stod(number);
    const size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ns")
      scale = 1e-6;
    else if (unit == "us")
      scale = 1e-3;
    else if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1e3;
    else if (unit == "m")
      scale = 60e3;
    else if (unit == "h")
      scale = 3600e3;
    else
      return std::nullopt;
    total_ms += value * scale;
  }
  if (total_ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(total_ms)));
}

// go-sql-driver/mysql parameters that change nothing strata does, with the reason.
struct IgnoredParameter {
  std::string_view name;
  std::string_view reason;
};
constexpr IgnoredParameter k_ignored_mysql_parameters[] = {
    {"parseTime", "strata reads every value as text"},
    {"loc", "strata reads every value as text"},
    {"timeTruncate", "strata sends no time values of its own"},
    {"multiStatements", "strata splits statements itself and turns multi-statements on for its own batches"},
    {"interpolateParams", "strata always sends values as escaped literals"},
    {"allowNativePasswords", "the client library always allows native passwords"},
    {"allowOldPasswords", "the client library decides which authentication plugins it speaks"},
    {"checkConnLiveness", "strata keeps one connection and never reconnects"},
    {"clientFoundRows", "strata does not read affected-row counts"},
    {"columnsWithAlias", "strata reads columns by position"},
    {"maxAllowedPacket", "the client library accepts packets up to the server's max_allowed_packet"},
    {"rejectReadOnly", "a read-only server fails the migration's first write anyway"},
    {"connectionAttributes", "strata sends no connection attributes"},
};

// Parameters the mysql driver reads itself (those above included), for near-miss detection.
constexpr std::string_view k_mysql_parameters[] = {"charset",
                                                   "collation",
                                                   "tls",
                                                   "ssl-ca",
                                                   "ssl-cert",
                                                   "ssl-key",
                                                   "x-tls-ca",
                                                   "x-tls-cert",
                                                   "x-tls-key",
                                                   "x-tls-insecure-skip-verify",
                                                   "socket",
                                                   "timeout",
                                                   "readTimeout",
                                                   "writeTimeout",
                                                   "compress",
                                                   "allowCleartextPasswords",
                                                   "x-migrations-table",
                                                   "x-lock-lease"};

// Session variables a URL must not set, and why.
struct RefusedVariable {
  std::string_view name;
  std::string_view reason;
};
constexpr RefusedVariable k_refused_session_variables[] = {
    {"autocommit", "strata manages transactions itself and relies on autocommit being on"},
    {"character_set_client",
     "use charset=: the client library must know the connection's character set to escape values"},
    {"character_set_connection",
     "use charset=: the client library must know the connection's character set to escape values"},
    {"character_set_results",
     "use charset=: the client library must know the connection's character set to escape values"},
    {"collation_connection", "use collation="},
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The driver parameter `name` is probably a misspelling of ("tsl" → "tls"), if any. Case and the
// - / _ spelling are ignored; the distance allowed grows with the name.
std::optional<std::string_view> near_miss(std::string_view name) {
  auto canonical = [](std::string_view text) {
    std::string out = lower(text);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
  };
  const std::string wanted = canonical(name);
  std::optional<std::string_view> best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  auto consider = [&](std::string_view known) {
    const size_t allowed = known.size() <= 4 ? 1 : 2;
    const size_t distance = edit_distance(wanted, canonical(known));
    if (distance <= allowed && distance < best_distance) {
      best = known;
      best_distance = distance;
    }
  };
  for (std::string_view known : k_mysql_parameters) consider(known);
  for (const IgnoredParameter& known : k_ignored_mysql_parameters) consider(known.name);
  return best;
}

bool is_number(std::string_view text) {
  size_t i = text.substr(0, 1) == "-" ? 1 : 0;
  const size_t digits_start = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == digits_start) return false;
  if (i < text.size() && text[i] == '.') {
    const size_t fraction = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == fraction) return false;
  }
  return i == text.size();
}

// One URL parameter of a mysql URL, applied to `settings`; `files` collects the certificate
// files to check once all parameters are read.
class MysqlParameterReader {
 public:
  explicit MysqlParameterReader(const DatabaseUrl& url) : m_url(url), m_settings(url.mysql) {}

  MysqlSettings read() {
    for (const auto& [key, value] : m_url.params) read_one(key, value);
    resolve_tls();
    return m_settings;
  }

 private:
  [[noreturn]] void fail(std::string_view key, std::string_view why) const {
    throw UsageError(fmt::format("unsupported parameter '{}' in database URL {}: {}", key, m_url.redacted, why));
  }
  [[noreturn]] void bad_value(std::string_view key, std::string_view value, std::string_view expected) const {
    throw UsageError(fmt::format("invalid value '{}' for '{}' in database URL {}: expected {}", value, key,
                                 m_url.redacted, expected));
  }
  bool boolean(std::string_view key, std::string_view value) const {
    if (const auto flag = parse_bool(value)) return *flag;
    bad_value(key, value, "true or false");
  }
  std::chrono::milliseconds duration(std::string_view key, std::string_view value) const {
    if (const auto parsed = parse_duration(value)) return *parsed;
    bad_value(key, value, "a duration such as 30s, 500ms or 1m30s");
  }
  // ssl-ca and x-tls-ca name one setting: both may be given only with the same value.
  void file(std::string& target, std::string_view key, std::string_view value) {
    if (value.empty()) bad_value(key, value, "a file path");
    if (!target.empty() && target != value) fail(key, "the same file is already named by another parameter");
    target = std::string(value);
  }

  void read_one(const std::string& key, const std::string& value) {
    if (std::find(m_seen.begin(), m_seen.end(), key) != m_seen.end()) fail(key, "given more than once");
    m_seen.push_back(key);
    if (key == "charset") {
      // go-sql-driver's fallback list "utf8mb4,utf8": every server strata supports knows the first.
      const std::string first = value.substr(0, value.find(','));
      if (!is_identifier(first)) bad_value(key, value, "a character set name such as utf8mb4");
      m_settings.charset = first;
    } else if (key == "collation") {
      if (!is_identifier(value)) bad_value(key, value, "a collation name such as utf8mb4_unicode_ci");
      m_settings.collation = value;
    } else if (key == "tls") {
      m_tls = value;
    } else if (key == "ssl-ca" || key == "x-tls-ca") {
      file(m_settings.tls_ca, key, value);
    } else if (key == "ssl-cert" || key == "x-tls-cert") {
      file(m_settings.tls_cert, key, value);
    } else if (key == "ssl-key" || key == "x-tls-key") {
      file(m_settings.tls_key, key, value);
    } else if (key == "x-tls-insecure-skip-verify") {
      m_skip_verify = boolean(key, value);
    } else if (key == "socket") {
      if (value.empty() || value[0] != '/') bad_value(key, value, "an absolute path to the server's Unix socket");
      if (!m_settings.socket.empty() && m_settings.socket != value)
        fail(key, "the URL already names a socket with unix(…)");
      m_settings.socket = value;
    } else if (key == "timeout") {
      m_settings.connect_timeout = duration(key, value);
    } else if (key == "readTimeout") {
      m_settings.read_timeout = duration(key, value);
    } else if (key == "writeTimeout") {
      m_settings.write_timeout = duration(key, value);
    } else if (key == "compress") {
      m_settings.compress = boolean(key, value);
    } else if (key == "allowCleartextPasswords") {
      m_settings.cleartext_passwords = boolean(key, value);
    } else if (std::any_of(std::begin(k_ignored_mysql_parameters), std::end(k_ignored_mysql_parameters),
                           [&](const IgnoredParameter& p) { return p.name == key; })) {
      // Accepted for compatibility; docs/drivers.md gives each one's reason.
    } else {
      session_variable(key, value);
    }
  }

  // go-sql-driver/mysql sends any other parameter as `SET name=value`; strata does the same for
  // names that can be session variables, after ruling out misspellings of its own parameters.
  void session_variable(const std::string& key, const std::string& value) {
    if (key == "x-no-lock") fail(key, "strata always takes the migration lock");
    if (key == "x-statement-timeout")
      fail(key,
           "use the server's own session variable instead: max_statement_time=SECONDS (MariaDB) or "
           "max_execution_time=MS (MySQL)");
    if (const auto known = near_miss(key)) fail(key, fmt::format("did you mean '{}'?", *known));
    if (key.rfind("x-", 0) == 0)
      fail(key,
           "golang-migrate's x- options other than x-migrations-table and x-tls-… are "
           "not supported");
    if (!is_identifier(key))
      fail(key, "neither a parameter of the mysql driver nor the name of a session variable (see docs/drivers.md)");
    const std::string name = lower(key);
    for (const RefusedVariable& refused : k_refused_session_variables) {
      if (refused.name == name) fail(key, refused.reason);
    }
    if (value.empty()) bad_value(key, value, "a value for the session variable");
    MysqlSessionVariable variable{key, value, true};
    const bool quoted =
        value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front();
    const std::string upper = [&] {
      std::string out(value);
      for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return out;
    }();
    if (quoted) {
      variable.value = value.substr(1, value.size() - 2);
    } else if (is_number(value) || upper == "TRUE" || upper == "FALSE" || upper == "ON" || upper == "OFF" ||
               upper == "DEFAULT") {
      variable.value = is_number(value) ? value : upper;
      variable.literal = false;
    }
    m_settings.session_variables.push_back(std::move(variable));
  }

  void resolve_tls() {
    MysqlSettings& s = m_settings;
    const bool files = !s.tls_ca.empty() || !s.tls_cert.empty() || !s.tls_key.empty();
    if (s.tls_cert.empty() != s.tls_key.empty())
      fail(s.tls_cert.empty() ? "ssl-key" : "ssl-cert",
           "a client certificate needs both ssl-cert (x-tls-cert) and ssl-key (x-tls-key)");
    const std::string mode = lower(m_tls.value_or(""));
    if (!m_tls) {
      // Certificate files alone ask for TLS, as they do for the mysql client.
      if (files || m_skip_verify) s.tls = m_skip_verify.value_or(false) ? MysqlTls::skip_verify : MysqlTls::verify;
    } else if (mode == "false" || mode == "0" || mode == "f") {
      if (files) fail("tls", "tls=false cannot be combined with certificate files (ssl-ca, ssl-cert, ssl-key)");
      s.tls = MysqlTls::off;
    } else if (mode == "true" || mode == "1" || mode == "t") {
      s.tls = MysqlTls::verify;
    } else if (mode == "skip-verify") {
      s.tls = MysqlTls::skip_verify;
    } else if (mode == "preferred") {
      s.tls = MysqlTls::preferred;
    } else if (files && is_identifier(*m_tls)) {
      // golang-migrate registers its x-tls- files under the name given as tls=NAME.
      s.tls = MysqlTls::verify;
    } else {
      bad_value("tls", *m_tls,
                "true, false, skip-verify or preferred (a custom TLS config name needs its files: ssl-ca / x-tls-ca, "
                "ssl-cert / x-tls-cert, ssl-key / x-tls-key)");
    }
    if (m_skip_verify.value_or(false) && s.tls == MysqlTls::verify) s.tls = MysqlTls::skip_verify;
    for (const auto& [key, path] :
         {std::pair{"ssl-ca", s.tls_ca}, std::pair{"ssl-cert", s.tls_cert}, std::pair{"ssl-key", s.tls_key}}) {
      if (path.empty()) continue;
      std::FILE* file = std::fopen(path.c_str(), "rb");
      if (file == nullptr) {
        throw UsageError(fmt::format("cannot read the {} file '{}' named in database URL {}: {}", key, path,
                                     m_url.redacted, std::strerror(errno)));
      }
      std::fclose(file);
    }
  }

  const DatabaseUrl& m_url;
  MysqlSettings m_settings;
  std::vector<std::string> m_seen;
  std::optional<std::string> m_tls;
  std::optional<bool> m_skip_verify;
};

}  // namespace

std::string TableName::display() const {
  return schema.empty() ? name : schema + "." + name;
}

TableName TableName::history() const {
  return TableName{schema, name + "_history"};
}

TableName parse_table_name(std::string_view text, Dialect dialect, std::string_view setting) {
  size_t dot = text.find('.');
  TableName table;
  if (dot == std::string_view::npos) {
    table.name = std::string(text);
  } else {
    table.schema = std::string(text.substr(0, dot));
    table.name = std::string(text.substr(dot + 1));
  }
  bool valid = is_identifier(table.name) && (dot == std::string_view::npos || is_identifier(table.schema));
  if (!valid) {
    throw UsageError(fmt::format("invalid {} '{}': expected a name matching [A-Za-z_][A-Za-z0-9_]*{}", setting, text,
                                 dialect == Dialect::postgres ? ", optionally with schema. in front" : ""));
  }
  if (!table.schema.empty() && dialect != Dialect::postgres) {
    throw UsageError(
        fmt::format("invalid {} '{}': schema-qualified names are only supported on PostgreSQL", setting, text));
  }
  // The history table's name must stay a valid identifier on every engine (64 chars on MySQL).
  if (table.name.size() + 8 > 63) {
    throw UsageError(fmt::format("invalid {} '{}': name longer than 55 characters", setting, text));
  }
  return table;
}

DatabaseUrl parse_database_url(std::string_view text) {
  // A space or control character could be part of a password that no redaction can then find
  // reliably, so the URL is not echoed.
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
      throw UsageError(
          "invalid database URL: it contains a space or control character; percent-encode it (a space "
          "is %20)");
    }
  }
  DatabaseUrl url;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw UsageError(
        fmt::format("invalid database URL '{}': expected scheme:..., e.g. sqlite:strata.db", redact_passwords(text)));
  }
  url.scheme = std::string(text.substr(0, colon));
  std::optional<Dialect> dialect = parse_dialect(url.scheme);
  if (!dialect) {
    throw UsageError(fmt::format(
        "unknown database URL scheme '{}:' in {} (expected sqlite:, postgres:, postgresql:, mysql: or mariadb:)",
        url.scheme, redact_passwords(text)));
  }
  url.dialect = *dialect;
  std::string_view rest = text.substr(colon + 1);

  if (url.dialect == Dialect::sqlite) {
    std::string_view query;
    size_t qmark = rest.find('?');
    if (qmark != std::string_view::npos) {
      query = rest.substr(qmark + 1);
      rest = rest.substr(0, qmark);
    }
    // sqlite://rel/path, sqlite:///abs/path, sqlite:path
    if (rest.substr(0, 2) == "//") rest = rest.substr(2);
    url.path = percent_decode(rest);
    if (url.path.empty()) {
      throw UsageError(fmt::format("invalid database URL '{}': no file path", text));
    }
    url.params = parse_query(query);
    take_migrations_table(url);
    // A file lock needs no lease.
    if (url.lock_lease) throw UsageError(fmt::format("unsupported parameter 'x-lock-lease' in database URL {}", text));
    for (const auto& [key, value] : url.params) {
      throw UsageError(fmt::format("unsupported parameter '{}' in database URL {}", key, text));
    }
    url.redacted = std::string(text);
    return url;
  }

  if (rest.substr(0, 2) != "//") {
    throw UsageError(fmt::format("invalid database URL '{}': expected {}://user@host:port/database",
                                 redact_passwords(text), url.scheme));
  }
  NetworkParts parts = split_network(rest.substr(2));
  url.redacted = build_redacted(url.scheme, parts, parts.query);
  url.user = parts.userinfo_user;
  url.password = parts.password;
  parse_host_port(parts.hostport, url, url.redacted);
  url.database = percent_decode(parts.path);
  url.params = parse_query(parts.query);
  take_migrations_table(url);
  if (url.dialect == Dialect::mysql && url.database.empty()) {
    throw UsageError(fmt::format("invalid database URL {}: no database name", url.redacted));
  }
  if (url.dialect == Dialect::mysql) url.mysql = MysqlParameterReader(url).read();

  if (url.dialect == Dialect::postgres) {
    for (const auto& [key, value] : url.params) {
      if (key.rfind("x-", 0) == 0) {
        throw UsageError(
            fmt::format("unsupported parameter '{}' in database URL {}: golang-migrate's x- options are "
                        "not libpq parameters (strata takes x-migrations-table only)",
                        key, url.redacted));
      }
    }
    // libpq reads the URI itself; only x-migrations-table has to go.
    std::string_view without_query =
        rest.substr(2, rest.find('?') == std::string_view::npos ? std::string_view::npos : rest.find('?') - 2);
    std::string query = strip_migrations_table(parts.query);
    url.conninfo = fmt::format("postgresql://{}{}{}", without_query, query.empty() ? "" : "?", query);
  }
  return url;
}

std::string redact_passwords(std::string_view text) {
  // scheme://user:password@ → scheme://user:***@, and password=... → password=***
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t sep = text.find("://", i);
    if (sep == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, sep + 3 - i));
    size_t start = sep + 3;
    size_t end = start;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
           text[end] != '\'') {
      ++end;
    }
    // The userinfo ends at the last '@' before the query, as parse_database_url reads it, so a
    // password containing '/' is hidden whole.
    std::string_view url = text.substr(start, end - start);
    url = url.substr(0, url.find('?'));
    size_t at = url.rfind('@');
    size_t colon = url.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out.append(url.substr(0, colon));
      out.append(":***");
      i = start + at;
    } else {
      size_t authority_end = std::min(url.find('/'), url.size());
      out.append(url.substr(0, authority_end));
      i = start + authority_end;
    }
  }
  // password=value in libpq keyword strings or query strings
  std::string result;
  result.reserve(out.size());
  for (size_t j = 0; j < out.size();) {
    static constexpr std::string_view k_key = "password=";
    if (out.compare(j, k_key.size(), k_key) == 0 && (j == 0 || !std::isalnum(static_cast<unsigned char>(out[j - 1])))) {
      result.append(k_key);
      result.append("***");
      j += k_key.size();
      // Already redacted (a redacted URL followed by ": message"): keep the ':' that follows.
      if (out.compare(j, 3, "***") == 0 &&
          (j + 3 == out.size() || out.compare(j + 3, 2, ": ") == 0 || out[j + 3] == '&' ||
           std::isspace(static_cast<unsigned char>(out[j + 3])))) {
        j += 3;
        continue;
      }
      while (j < out.size() && !std::isspace(static_cast<unsigned char>(out[j])) && out[j] != '&') ++j;
    } else {
      result.push_back(out[j++]);
    }
  }
  return result;
}

}  // namespace strata
