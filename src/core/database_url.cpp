#include "core/database_url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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

// The query string without x-migrations-table, re-joined from the original (undecoded) text.
std::string strip_migrations_table(std::string_view query) {
  std::string kept;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty() || item.substr(0, item.find('=')) == "x-migrations-table") continue;
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
  size_t slash = authority_and_path.find('/');
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

void take_migrations_table(DatabaseUrl& url) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& [key, value] : url.params) {
    if (key == "x-migrations-table") {
      url.migrations_table = value;
    } else {
      kept.emplace_back(key, value);
    }
  }
  url.params = std::move(kept);
}

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
