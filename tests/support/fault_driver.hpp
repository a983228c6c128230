#pragma once

// A driver for the runner's unit tests: wraps a real driver (SQLite) and makes chosen calls fail
// the way a database would, so that each point of the dirty protocol can be hit on purpose.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drivers/driver.hpp"

namespace strata::testing {

class FaultDriver final : public drivers::Driver {
 public:
  // The calls a fault can be put on. Each kind is counted separately, from 1.
  enum class Call { execute, query, begin, commit, commit_with };
  // What the failing call does: throw an SQL error, a lock timeout (is_lock_timeout() is true),
  // or "drop the connection": that call and every later one fail.
  enum class Effect { error, lock_timeout, disconnect };

  explicit FaultDriver(std::unique_ptr<drivers::Driver> real) : m_real(std::move(real)) {}

  // Makes the `nth` call of `call` (counting from now on) fail with `effect`.
  void fail(Call call, int nth, Effect effect = Effect::error) {
    m_faults.push_back({call, count(call) + nth, {}, effect, 0});
  }
  // Makes the first `times` execute() or query() calls whose SQL starts with `text` fail.
  void fail_on(std::string text, Effect effect = Effect::error, int times = 1) {
    m_faults.push_back({Call::execute, 0, std::move(text), effect, times});
  }
  // How many calls of each kind came so far (execute_batch and commit_with count each statement
  // as an execute, commit_with's last as a query).
  int count(Call call) const { return m_counts[static_cast<size_t>(call)]; }
  bool disconnected() const { return m_disconnected; }
  drivers::Driver& real() { return *m_real; }

  Dialect dialect() const noexcept override { return m_real->dialect(); }
  void execute_batch(const std::vector<std::string_view>& statements) override {
    for (size_t index = 0; index < statements.size(); ++index) {
      try {
        hit(Call::execute, statements[index]);
        m_real->execute(statements[index]);
      } catch (const StatementFailed& failure) {
        throw StatementFailed(index, failure);
      } catch (const DriverError& error) {
        throw StatementFailed(index, error);
      }
    }
  }
  std::vector<drivers::Row> query(std::string_view sql, const drivers::Params& params = {}) override {
    hit(Call::query, sql);
    return m_real->query(sql, params);
  }
  void begin() override {
    hit(Call::begin);
    m_real->begin();
    m_open = true;
  }
  void commit() override {
    hit(Call::commit);
    m_real->commit();
    m_open = false;
  }
  void rollback() noexcept override {
    m_real->rollback();
    m_open = false;
  }
  // The contract of Driver::commit_with, made of this driver's own calls so that faults land on
  // each part: joins the open transaction or begin()s one, runs the statements (the last through
  // query(), for its rows), commit()s; on any failure rolls back, and a failing statement (or the
  // COMMIT, index statements.size()) is a StatementFailed.
  std::vector<drivers::Row> commit_with(const std::vector<std::string>& statements) override {
    try {
      hit(Call::commit_with);
      if (!m_open) begin();
    } catch (const DriverError&) {
      rollback();
      throw;
    }
    std::vector<drivers::Row> rows;
    size_t index = 0;
    try {
      for (; index < statements.size(); ++index) {
        if (index + 1 < statements.size()) {
          hit(Call::execute, statements[index]);
          m_real->execute(statements[index]);
        } else {
          rows = query(statements[index]);
        }
      }
      commit();
    } catch (const DriverError& error) {
      rollback();
      throw StatementFailed(index, error);
    }
    return rows;
  }
  void set_statement_lock_timeout(std::optional<std::chrono::milliseconds> timeout) override {
    m_lock_timeout = timeout;
    m_real->set_statement_lock_timeout(timeout);
  }
  bool is_lock_timeout(const DriverError& error) const noexcept override {
    return error.sqlstate() == k_lock_timeout_state || m_real->is_lock_timeout(error);
  }
  bool table_exists(const TableName& table) override {
    hit(Call::query);
    return m_real->table_exists(table);
  }
  std::string quote_identifier(std::string_view identifier) const override {
    return m_real->quote_identifier(identifier);
  }
  std::string quote_literal(std::string_view text) const override { return m_real->quote_literal(text); }
  void lock(const TableName& table, std::chrono::milliseconds timeout) override { m_real->lock(table, timeout); }
  void unlock() noexcept override { m_real->unlock(); }
  std::optional<LockHolder> lock_holder(const TableName& table) override { return m_real->lock_holder(table); }
  void cancel() noexcept override { m_real->cancel(); }
  std::optional<std::string> read_only_reason() override { return m_real->read_only_reason(); }

  std::optional<std::chrono::milliseconds> lock_timeout() const { return m_lock_timeout; }

  static constexpr const char* k_lock_timeout_state = "FAULT-LOCK";

 private:
  struct Fault {
    Call call;
    int at;            // the nth call, or 0 for a match on the SQL
    std::string text;  // fail_on(): a part of the SQL
    Effect effect;
    int times;  // fail_on(): how many more matching calls fail
  };

  void hit(Call call, std::string_view sql = {}) {
    if (m_disconnected) throw DriverError("fault: the connection is gone");
    const int n = ++m_counts[static_cast<size_t>(call)];
    for (Fault& fault : m_faults) {
      if (fault.at > 0 ? fault.call != call || fault.at != n
                       : fault.times <= 0 || sql.substr(0, fault.text.size()) != fault.text)
        continue;
      if (fault.at == 0) --fault.times;
      switch (fault.effect) {
        case Effect::error: throw DriverError("fault: injected error");
        case Effect::lock_timeout:
          throw DriverError("fault: canceling statement due to lock timeout", k_lock_timeout_state);
        case Effect::disconnect:
          m_disconnected = true;
          rollback();  // the server rolls back what the lost session had open
          throw DriverError("fault: the connection is gone");
      }
    }
  }

  std::unique_ptr<drivers::Driver> m_real;
  std::vector<Fault> m_faults;
  int m_counts[5] = {};
  bool m_disconnected = false;
  bool m_open = false;  // a transaction begin() opened is open
  std::optional<std::chrono::milliseconds> m_lock_timeout;
};

}  // namespace strata::testing
