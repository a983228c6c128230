#include "drivers/lease_lock.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "core/error.hpp"

namespace strata::drivers {
namespace {

constexpr std::chrono::milliseconds k_poll_interval{100};

std::string format_timeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms >= 1000 && ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "?";
  return host;
}

// A token no other run shares: host, pid and 64 random bits.
std::string unique_token() {
  std::random_device device;
  const uint64_t random = (static_cast<uint64_t>(device()) << 32) ^ device();
  return fmt::format("{}:{}:{:016x}", host_name(), getpid(), random);
}

// What the engine answers when another run won the row first: a duplicate key, or (Galera's
// certification, PostgreSQL's serialization) a conflict at commit.
bool busy_error(const DriverError& error) {
  const std::string& state = error.sqlstate();
  return state == "23000" || state == "23505" || state == "40001" || state == "40P01";
}

// The SQL that differs between engines. Times are UTC without a zone, by the database's clock.
struct Sql {
  Dialect dialect;

  std::string now() const {
    return dialect == Dialect::mysql ? "UTC_TIMESTAMP(6)" : "(clock_timestamp() AT TIME ZONE 'UTC')";
  }
  std::string later(std::chrono::milliseconds by) const {
    if (dialect == Dialect::mysql) return fmt::format("UTC_TIMESTAMP(6) + INTERVAL {} MICROSECOND", by.count() * 1000);
    return fmt::format("{} + INTERVAL '{} milliseconds'", now(), by.count());
  }
  std::string timestamp() const { return dialect == Dialect::mysql ? "DATETIME(6)" : "TIMESTAMP(6)"; }
  std::string shown(std::string_view column) const {
    if (dialect == Dialect::mysql) return fmt::format("DATE_FORMAT({}, '%Y-%m-%d %H:%i:%s')", column);
    return fmt::format("to_char({}, 'YYYY-MM-DD HH24:MI:SS')", column);
  }
  std::string ms_until(std::string_view column) const {
    if (dialect == Dialect::mysql) return fmt::format("TIMESTAMPDIFF(MICROSECOND, {}, {}) DIV 1000", now(), column);
    return fmt::format("CAST(FLOOR(EXTRACT(EPOCH FROM ({} - {})) * 1000) AS BIGINT)", column, now());
  }
};

// One lease row as read.
struct LeaseRow {
  std::string token, host, pid, connection, node, since, until;
  long long ms_left = 0;
};

std::optional<LeaseRow> read_lease(Driver& driver, const Sql& sql, const std::string& lock_name) {
  const std::vector<Row> rows = driver.query(
      fmt::format("SELECT holder, host, pid, connection_id, node, {}, {}, {} FROM {} WHERE id = 1",
                  sql.shown("acquired_at"), sql.shown("expires_at"), sql.ms_until("expires_at"), lock_name));
  if (rows.empty() || rows[0].size() != 8) return std::nullopt;
  const Row& r = rows[0];
  LeaseRow row{r[0].value_or(""), r[1].value_or(""), r[2].value_or(""), r[3].value_or(""),
               r[4].value_or(""), r[5].value_or(""), r[6].value_or(""), 0};
  try {
    row.ms_left = std::stoll(r[7].value_or("0"));
  } catch (const std::exception&) {
    row.ms_left = 0;
  }
  return row;
}

std::string describe(const LeaseRow& row) {
  std::vector<std::string> facts;
  if (!row.connection.empty()) facts.push_back(fmt::format("connection {}", row.connection));
  if (!row.node.empty()) {
    if (facts.empty())
      facts.push_back(fmt::format("on node {}", row.node));
    else
      facts.back() += fmt::format(" on node {}", row.node);
  }
  facts.push_back(fmt::format("since {} UTC", row.since));
  facts.push_back(fmt::format("lease until {} UTC", row.until));
  std::string joined;
  for (const std::string& fact : facts) joined += (joined.empty() ? "" : ", ") + fact;
  return fmt::format("pid {} on host {} ({})", row.pid, row.host, joined);
}
std::string quoted_name(const Driver& driver, const TableName& table) {
  if (table.schema.empty()) return driver.quote_identifier(table.name);
  return driver.quote_identifier(table.schema) + "." + driver.quote_identifier(table.name);
}

}  // namespace

struct LeaseLock::Impl {
  Driver& main;
  std::function<std::unique_ptr<Driver>()> open_renewer;
  std::chrono::seconds lease;
  Identity identity;
  std::string where;
  Sql sql{main.dialect()};
  std::string token = unique_token();
  std::string host = host_name();

  std::unique_ptr<Driver> renewer;  // the second connection, opened at the first lock()
  std::optional<TableName> table;   // the lock table of the lease this run holds
  std::string version_table;        // the version table it is for, for messages
  std::string qualified;            // its quoted name

  // Shared with the renewing thread.
  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::chrono::steady_clock::time_point renewed;  // when the last successful renewal was sent
  std::string lost;                               // why the lease was lost; "" while held
  std::string last_error;                         // the last failed renewal's error
  std::thread thread;

  Impl(Driver& main_driver, std::function<std::unique_ptr<Driver>()> open, std::chrono::seconds length, Identity who,
       std::string description)
      : main(main_driver),
        open_renewer(std::move(open)),
        lease(length),
        identity(std::move(who)),
        where(std::move(description)) {}

  std::chrono::milliseconds interval() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(lease) / 3;
  }

  std::string quoted(const TableName& lock_table) const { return quoted_name(main, lock_table); }

  void ensure_table(const TableName& lock_table) {
    if (main.table_exists(lock_table)) return;
    if (!lock_table.schema.empty())
      main.execute(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", main.quote_identifier(lock_table.schema)));
    // Several runs may get here at once: on PostgreSQL IF NOT EXISTS does not stop a concurrent
    // CREATE TABLE from failing on the catalog's unique index, so a failure is fine when the
    // table is there now.
    const std::string create = fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (id INT NOT NULL PRIMARY KEY, holder VARCHAR(255) NOT NULL, host VARCHAR(255) "
        "NOT NULL, pid BIGINT NOT NULL, connection_id VARCHAR(64) NOT NULL, node VARCHAR(255) NOT NULL, acquired_at {} "
        "NOT NULL, heartbeat_at {} NOT NULL, expires_at {} NOT NULL)",
        quoted(lock_table), sql.timestamp(), sql.timestamp(), sql.timestamp());
    try {
      main.execute(create);
    } catch (const DriverError&) {
      if (!main.table_exists(lock_table)) throw;
    }
  }

  Params holder_values() const { return {token, host, std::to_string(getpid()), identity.connection, identity.node}; }

  // One attempt: the row inserted, or an expired one taken over. Returns the row that holds the
  // lease now (this run's when taken); nullopt when it was released meanwhile.
  std::optional<LeaseRow> attempt(const std::string& lock_name, std::chrono::steady_clock::time_point& sent) {
    sent = std::chrono::steady_clock::now();
    try {
      main.query(fmt::format("INSERT INTO {} (id, holder, host, pid, connection_id, node, acquired_at, heartbeat_at, "
                             "expires_at) VALUES (1, ?, ?, ?, ?, ?, {}, {}, {}){}",
                             lock_name, sql.now(), sql.now(), sql.later(lease),
                             sql.dialect == Dialect::postgres ? " ON CONFLICT (id) DO NOTHING" : ""),
                 holder_values());
    } catch (const DriverError& error) {
      if (!busy_error(error)) throw;
    }
    std::optional<LeaseRow> row = read_lease(main, sql, lock_name);
    if (!row || row->token == token || row->ms_left > 0) return row;
    // Expired: its holder stopped renewing it. Only the run whose UPDATE still sees that holder
    // gets it.
    sent = std::chrono::steady_clock::now();
    Params values = holder_values();
    values.emplace_back(row->token);
    try {
      main.query(fmt::format("UPDATE {} SET holder = ?, host = ?, pid = ?, connection_id = ?, node = ?, acquired_at = "
                             "{}, heartbeat_at = {}, expires_at = {} WHERE id = 1 AND holder = ? AND expires_at < {}",
                             lock_name, sql.now(), sql.now(), sql.later(lease), sql.now()),
                 values);
    } catch (const DriverError& error) {
      if (!busy_error(error)) throw;
    }
    return read_lease(main, sql, lock_name);
  }

  void start_renewing(std::chrono::steady_clock::time_point sent) {
    {
      const std::lock_guard<std::mutex> guard(mutex);
      stopping = false;
      renewed = sent;
      lost.clear();
      last_error.clear();
    }
    thread = std::thread([this] { renew_loop(); });
  }

  void renew_loop() {
    const std::string update =
        fmt::format("UPDATE {} SET heartbeat_at = {}, expires_at = {} WHERE id = 1 AND holder = ?", qualified,
                    sql.now(), sql.later(lease));
    std::unique_lock<std::mutex> guard(mutex);
    while (!stopping && lost.empty()) {
      if (wake.wait_for(guard, interval(), [this] { return stopping; })) break;
      guard.unlock();
      const auto sent = std::chrono::steady_clock::now();
      std::string failure;
      std::optional<LeaseRow> row;
      try {
        renewer->query(update, {token});
        row = read_lease(*renewer, sql, qualified);
      } catch (const std::exception& error) {
        failure = error.what();
      }
      guard.lock();
      if (!failure.empty()) {
        last_error = failure;  // tried again at the next tick; check_held() sees the lease run out
      } else if (!row) {
        lost = "its row was deleted by someone else";
      } else if (row->token != token) {
        lost = fmt::format("it was taken over by pid {} on host {}", row->pid, row->host);
      } else {
        renewed = sent;
      }
    }
  }

  void stop_renewing() noexcept {
    {
      const std::lock_guard<std::mutex> guard(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (thread.joinable()) thread.join();
  }
};

LeaseLock::LeaseLock(Driver& main, std::function<std::unique_ptr<Driver>()> open_renewer, std::chrono::seconds lease,
                     Identity identity, std::string where)
    : m_impl(std::make_unique<Impl>(main, std::move(open_renewer), lease, std::move(identity), std::move(where))) {}

LeaseLock::~LeaseLock() {
  unlock();
}

TableName LeaseLock::lock_table(const TableName& table) {
  return TableName{table.schema, table.name + "_lock"};
}

Driver& LeaseLock::renewer() {
  if (!m_impl->renewer) m_impl->renewer = m_impl->open_renewer();
  return *m_impl->renewer;
}

std::optional<Driver::LockHolder> live_lease_holder(Driver& driver, const TableName& table) {
  const TableName lock_table = LeaseLock::lock_table(table);
  if (!driver.table_exists(lock_table)) return std::nullopt;
  const std::optional<LeaseRow> row = read_lease(driver, Sql{driver.dialect()}, quoted_name(driver, lock_table));
  if (!row || row->ms_left <= 0) return std::nullopt;
  return Driver::LockHolder{describe(*row), fmt::format("kill {}", row->pid)};
}

bool LeaseLock::held() const noexcept {
  return m_impl->table.has_value();
}

std::string LeaseLock::describe_lease() const {
  const auto interval = m_impl->interval();
  std::string every = fmt::format("{:.1f}", static_cast<double>(interval.count()) / 1000.0);
  if (every.size() > 2 && every.compare(every.size() - 2, 2, ".0") == 0) every.resize(every.size() - 2);
  return fmt::format("a {} s lease renewed every {} s", m_impl->lease.count(), every);
}

void LeaseLock::lock(const TableName& table, std::chrono::milliseconds timeout, const OtherLock& other) {
  Impl& d = *m_impl;
  if (d.table) return;
  const TableName lock_table = LeaseLock::lock_table(table);
  // The second connection first: a run that cannot renew a lease must not take one.
  renewer();
  d.ensure_table(lock_table);
  const std::string lock_name = d.quoted(lock_table);

  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds::zero());
  std::optional<LeaseRow> row;
  std::optional<Driver::LockHolder> other_holder;
  for (;;) {
    std::chrono::steady_clock::time_point sent;
    row = d.attempt(lock_name, sent);
    other_holder.reset();
    if (row && row->token == d.token && other) {
      // Taken, and then checked: a run holding the other lock checks for a lease after taking
      // its lock, so of two such runs at least one sees the other.
      other_holder = other();
      if (other_holder) d.main.query(fmt::format("DELETE FROM {} WHERE id = 1 AND holder = ?", lock_name), {d.token});
    }
    if (row && row->token == d.token && !other_holder) {
      d.table = lock_table;
      d.version_table = table.display();
      d.qualified = lock_name;
      d.start_renewing(sent);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (!row && !other_holder) continue;  // released just now: try again at once
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(k_poll_interval, deadline - now));
  }
  std::string message = fmt::format("could not take the migration lock on {} (table {}) within {}", d.where,
                                    table.display(), format_timeout(timeout));
  if (other_holder) {
    message += fmt::format(": held by {}; if that session is dead or stuck, end it with `{}`",
                           other_holder->description, other_holder->end_it);
  } else if (row) {
    message += fmt::format(
        ": held by {}; if that process is stuck, end it with `kill {}` on {}; if it is gone, its lease runs out by "
        "itself and the next run takes over",
        describe(*row), row->pid, row->host);
  }
  throw LockTimeout(message);
}

void LeaseLock::unlock() noexcept {
  Impl& d = *m_impl;
  d.stop_renewing();
  if (!d.table) return;
  d.table.reset();
  const std::string release = fmt::format("DELETE FROM {} WHERE id = 1 AND holder = ?", d.qualified);
  // The second connection first: it is never inside a transaction of a migration's.
  for (Driver* driver : {d.renewer.get(), &d.main}) {
    if (driver == nullptr) continue;
    try {
      driver->query(release, {d.token});
      return;
    } catch (...) {
      // Try the other connection; failing both, the lease runs out by itself.
    }
  }
}

std::optional<Driver::LockHolder> LeaseLock::holder(const TableName& table) {
  Impl& d = *m_impl;
  const TableName lock_table = LeaseLock::lock_table(table);
  if (!d.main.table_exists(lock_table)) return std::nullopt;
  const std::optional<LeaseRow> row = read_lease(d.main, d.sql, d.quoted(lock_table));
  if (!row || row->token == d.token || row->ms_left <= 0) return std::nullopt;
  return Driver::LockHolder{describe(*row), fmt::format("kill {}", row->pid)};
}

void LeaseLock::check_held() const {
  const Impl& d = *m_impl;
  if (!d.table) return;
  const std::lock_guard<std::mutex> guard(d.mutex);
  std::string why = d.lost;
  if (why.empty() && std::chrono::steady_clock::now() - d.renewed >= d.lease) {
    why = fmt::format("its lease was not renewed for {} s{}", d.lease.count(),
                      d.last_error.empty() ? "" : fmt::format(" (last error: {})", d.last_error));
  }
  if (why.empty()) return;
  throw DriverError(
      fmt::format("lost the migration lock on {} (table {}): {}; another run may hold it now: check "
                  "`strata status` before running again",
                  d.where, d.version_table, why));
}

}  // namespace strata::drivers
