#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/database_url.hpp"
#include "drivers/driver.hpp"

namespace strata::drivers {

// The migration lock where a session lock cannot be trusted: a Galera (wsrep) cluster, whose
// GET_LOCK is node-local, and a connection pooler, which hands a session's advisory lock to
// whichever client gets that server connection next. Used by the MySQL and PostgreSQL drivers
// when they detect such a topology; a single server keeps GET_LOCK / pg_advisory_lock.
//
// The lock is one row (id = 1) of the table `<version table>_lock`, in the version table's schema:
// who holds it (host, pid, connection, node, a unique token), acquired_at, heartbeat_at and
// expires_at, all UTC by the database's clock.
// - Taken by INSERT: the primary key lets one of several runs win, on a cluster through
//   certification (the losers get a duplicate key or a deadlock error at commit: busy). A row
//   whose lease has expired by the database's clock is taken over with a compare-and-set UPDATE
//   (WHERE holder = <the expired one> AND expires_at < now). Nothing else ever takes it over.
// - Renewed every third of the lease, while held, by a thread on a second connection (the first
//   may be inside a long statement), each renewal an UPDATE WHERE holder = <this run>.
// - Released by DELETE WHERE holder = <this run>. A killed holder's lease runs out; the next run
//   waits at most that long and then takes over.
// - Lost when a renewal finds another holder, or when no renewal has succeeded for a whole lease:
//   check_held() then throws, so no migration starts or commits without the lock.
// Every method throws DriverError when the database fails, unless its comment says otherwise.
class LeaseLock {
 public:
  static constexpr std::chrono::seconds k_default_lease{20};

  // How this run is named in the row.
  struct Identity {
    std::string connection;  // "17" (MySQL connection id); "" where it means nothing (behind a pooler)
    std::string node;        // "n2" (wsrep_node_name); "" when none
  };

  // `main` is the connection the migrations run on. `open_renewer` opens the second connection,
  // once, at the first lock(); its lock() is never called. `where` names the database in messages
  // (the redacted URL).
  LeaseLock(Driver& main, std::function<std::unique_ptr<Driver>()> open_renewer, std::chrono::seconds lease,
            Identity identity, std::string where);
  ~LeaseLock();  // unlock()

  LeaseLock(const LeaseLock&) = delete;
  LeaseLock& operator=(const LeaseLock&) = delete;

  // The table that holds the lease for version table `table`: `<name>_lock` in its schema.
  static TableName lock_table(const TableName& table);

  // Who holds another lock that must exclude this one (the session lock of a run connected to the
  // server directly), nullopt when nobody does.
  using OtherLock = std::function<std::optional<Driver::LockHolder>()>;

  // Takes the lease for `table`, waiting up to `timeout` (polling); creates the lock table when
  // missing. Returns at once when this run holds it already. With `other`, each lease taken is
  // then checked against it and given back while it names a holder (that run checks for a live
  // lease after taking its own lock: of two such runs at least one sees the other). Throws
  // LockTimeout (exit 5) naming the holder, its node, since when it holds it and when its lease
  // expires, and how to end it.
  void lock(const TableName& table, std::chrono::milliseconds timeout, const OtherLock& other = {});
  // Stops the renewals and deletes the row if this run still holds it; never throws.
  void unlock() noexcept;
  bool held() const noexcept;

  // The run that holds a live (unexpired) lease for `table`, other than this one; nullopt when
  // the lease is free, expired (its holder is gone: the process died or lost its connection) or
  // the lock table does not exist. Never takes the lease.
  std::optional<Driver::LockHolder> holder(const TableName& table);

  // Throws DriverError "lost the migration lock …" when this run took the lease and has lost it
  // since (see above); does nothing otherwise.
  void check_held() const;

  // The second connection (opened on first use), for a driver's probes before the first lock().
  // Not while the lease is held: the renewing thread owns it then.
  Driver& renewer();

  // The lease length and renewal interval as a phrase: "a 20 s lease renewed every 6.7 s".
  std::string describe_lease() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The run holding a live lease for version table `table` (any run, this one included), for a run
// that takes a session lock on a server other runs reach through a pooler; nullopt when there is
// no lock table, no row, or its lease has run out.
std::optional<Driver::LockHolder> live_lease_holder(Driver& driver, const TableName& table);

}  // namespace strata::drivers
