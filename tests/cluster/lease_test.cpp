// The lease that is the migration lock on a Galera cluster and behind PgBouncer
// (drivers/lease_lock.hpp), through the real drivers on the real topologies: every sentence of
// its contract. The lease is 2 s here (x-lock-lease=2), renewed every 0.67 s.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "drivers/lease_lock.hpp"
#include "topology.hpp"

namespace strata::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr auto k_lease = 2s;
const std::string k_lease_param = "x-lock-lease=2";
const TableName k_table{"", "schema_migrations"};

class LeaseTest : public ::testing::TestWithParam<Topology> {
 protected:
  void SetUp() override {
    if (auto problem = m_database.create()) FAIL() << *problem;
  }

  // A connection through node `node` (Galera; PgBouncer has one address).
  std::unique_ptr<drivers::Driver> connect(size_t node = 0) { return m_database.connect(node, k_lease_param); }

  // A connection through `node` whose statements see every write the cluster committed before
  // them (Galera applies another node's commit a moment later; wsrep_sync_wait waits for it).
  std::unique_ptr<drivers::Driver> connect_causal(size_t node) {
    auto driver = connect(node);
    if (GetParam() == Topology::galera) driver->execute("SET SESSION wsrep_sync_wait = 15");
    return driver;
  }

  std::string lock_rows() {
    auto reader = connect_causal(2);
    const auto rows = reader->query("SELECT COUNT(*) FROM schema_migrations_lock");
    return rows.at(0).at(0).value_or("?");
  }

  TopologyDatabase m_database{GetParam()};
};

TEST_P(LeaseTest, TheFirstRunTakesItAndTheNextIsBusyAndNamesTheHolder) {
  auto first = connect(0);
  first->lock(k_table, 0ms);
  ASSERT_TRUE(first->topology_note().has_value());
  EXPECT_THAT(*first->topology_note(),
              HasSubstr(GetParam() == Topology::galera ? "Galera cluster of 3 nodes"
                                                       : "connected through a connection pooler"));
  EXPECT_THAT(*first->topology_note(), HasSubstr("a 2 s lease renewed every 0.7 s"));

  auto second = connect(1);
  try {
    second->lock(k_table, 300ms);
    FAIL() << "lock() succeeded while another run held the lease";
  } catch (const LockTimeout& timeout) {
    const std::string message = timeout.what();
    EXPECT_THAT(message, HasSubstr("within 300 ms: held by pid " + std::to_string(::getpid()) + " on host "));
    EXPECT_THAT(message, HasSubstr(" UTC, lease until "));
    EXPECT_THAT(message,
                HasSubstr("; if that process is stuck, end it with `kill " + std::to_string(::getpid()) + "`"));
    EXPECT_THAT(message, HasSubstr("if it is gone, its lease runs out by itself and the next run takes over"));
    if (GetParam() == Topology::galera) {
      EXPECT_THAT(message, HasSubstr(" on node n1, since "));
    }
  }
  const auto holder = second->lock_holder(k_table);
  ASSERT_TRUE(holder.has_value());
  EXPECT_THAT(holder->description, HasSubstr("pid " + std::to_string(::getpid()) + " on host "));
  EXPECT_EQ(holder->end_it, "kill " + std::to_string(::getpid()));
  // The holder itself is not "another holder".
  EXPECT_FALSE(first->lock_holder(k_table).has_value());
  // Taking it again while holding it returns at once.
  first->lock(k_table, 0ms);
  first->unlock();
}

TEST_P(LeaseTest, ReleasingDeletesTheRowAndTheNextRunTakesItAtOnce) {
  auto first = connect(0);
  auto second = connect(1);
  first->lock(k_table, 0ms);
  EXPECT_EQ(lock_rows(), "1");
  first->unlock();
  EXPECT_EQ(lock_rows(), "0");
  EXPECT_FALSE(second->lock_holder(k_table).has_value());
  second->lock(k_table, 0ms);
  EXPECT_TRUE(first->lock_holder(k_table).has_value());
  second->unlock();
}

TEST_P(LeaseTest, TheHeartbeatKeepsItPastTheLeaseLength) {
  auto first = connect(0);
  first->lock(k_table, 0ms);
  std::this_thread::sleep_for(k_lease * 2 + 500ms);
  auto second = connect(1);
  EXPECT_THROW(second->lock(k_table, 0ms), LockTimeout);
  EXPECT_TRUE(second->lock_holder(k_table).has_value());
  // Still held: a transaction may start.
  EXPECT_NO_THROW(first->begin());
  first->rollback();
  first->unlock();
}

TEST_P(LeaseTest, AKilledHoldersLeaseExpiresAndIsTakenOverWithinTheLease) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      auto holder = connect(0);
      holder->lock(k_table, 5s);
      const char ok = 'y';
      if (::write(ready[1], &ok, 1) != 1) ::_exit(2);
      ::raise(SIGKILL);  // holding it: no release, no more renewals, as kill -9
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(4);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto next = connect(1);
  // The dead holder's lease is still running: it counts as held (a running migration, for status).
  const auto holder = next->lock_holder(k_table);
  ASSERT_TRUE(holder.has_value());
  EXPECT_THAT(holder->description, HasSubstr("pid " + std::to_string(child) + " on host "));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(next->lock(k_table, 0ms), LockTimeout);
  next->lock(k_table, k_lease + 3s);  // a lease that never expired would throw here
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("[ figures  ] %s: took over a killed holder's %lld s lease after %.2f s\n", topology_name(GetParam()),
              static_cast<long long>(k_lease.count()), waited);
  auto observer = connect(2);
  const auto now_holder = observer->lock_holder(k_table);
  ASSERT_TRUE(now_holder.has_value());
  EXPECT_THAT(now_holder->description, HasSubstr("pid " + std::to_string(::getpid()) + " on host "));
  next->unlock();
}

TEST_P(LeaseTest, AnExpiredLeaseIsNoHolder) {
  auto setup = connect(0);
  setup->lock(k_table, 0ms);
  setup->unlock();
  // A row whose lease ran out (its holder died): not a holder, so a dirty database is reported as
  // interrupted, not as running.
  setup->execute(
      "INSERT INTO schema_migrations_lock (id, holder, host, pid, connection_id, node, acquired_at, heartbeat_at, "
      "expires_at) VALUES (1, 'gone:1:0', 'gone', 1, '', '', '2000-01-01 00:00:00', '2000-01-01 00:00:00', "
      "'2000-01-01 00:00:10')");
  auto other = connect(1);
  EXPECT_FALSE(other->lock_holder(k_table).has_value());
  other->lock(k_table, 0ms);  // taken over at once
  EXPECT_TRUE(setup->lock_holder(k_table).has_value());
  other->unlock();
}

TEST_P(LeaseTest, ALostLeaseStopsTheNextTransaction) {
  auto holder = connect(0);
  holder->lock(k_table, 0ms);
  auto intruder = connect_causal(1);  // a DELETE that node 2 runs before it has the lease's row deletes nothing
  intruder->execute("DELETE FROM schema_migrations_lock");
  // The next renewal (every third of the lease) finds the row gone; on Galera the first one after
  // the DELETE may instead lose a certification conflict with it, and the one after sees it. The
  // transaction after that must not start. Bounded by two leases, so a late heartbeat (a loaded
  // machine, the sanitizers) does not decide the test, and a loss never seen fails it.
  const auto deadline = std::chrono::steady_clock::now() + k_lease * 2;
  for (;;) {
    try {
      holder->begin();
    } catch (const DriverError& error) {
      EXPECT_THAT(error.what(), HasSubstr("lost the migration lock on "));
      EXPECT_THAT(error.what(), HasSubstr("(table schema_migrations): its row was deleted by someone else; another "
                                          "run may hold it now: check `strata status` before running again"));
      break;
    }
    holder->rollback();
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "begin() still succeeded two leases after the lease's row was deleted";
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  holder->unlock();
}

// Runs through PgBouncer (a lease) and runs connected to the server directly (an advisory lock)
// exclude each other, whichever comes first.
class PgBouncerDirectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto problem = m_database.create()) FAIL() << *problem;
  }
  TopologyDatabase m_database{Topology::pgbouncer};
};

TEST_F(PgBouncerDirectTest, ALeaseThroughThePoolerKeepsADirectRunOut) {
  auto pooled = m_database.connect(0, k_lease_param);
  pooled->lock(k_table, 0ms);
  auto direct = m_database.connect_direct();
  try {
    direct->lock(k_table, 300ms);
    FAIL() << "a direct run took the lock while a run through the pooler held the lease";
  } catch (const LockTimeout& timeout) {
    EXPECT_THAT(timeout.what(), HasSubstr("within 300 ms: held by pid " + std::to_string(::getpid()) + " on host "));
    EXPECT_THAT(timeout.what(),
                HasSubstr(" through a connection pooler; if that process is stuck, end it with `kill "));
  }
  const auto holder = direct->lock_holder(k_table);
  ASSERT_TRUE(holder.has_value());
  EXPECT_THAT(holder->description, HasSubstr("lease until"));
  pooled->unlock();
  direct->lock(k_table, 0ms);
  EXPECT_FALSE(direct->topology_note().has_value());  // a direct connection keeps the advisory lock
  direct->unlock();
}

TEST_F(PgBouncerDirectTest, ADirectRunsAdvisoryLockKeepsARunThroughThePoolerOut) {
  auto direct = m_database.connect_direct();
  direct->lock(k_table, 0ms);
  auto pooled = m_database.connect(0, k_lease_param);
  try {
    pooled->lock(k_table, 300ms);
    FAIL() << "a run through the pooler took the lease while a direct run held the advisory lock";
  } catch (const LockTimeout& timeout) {
    EXPECT_THAT(timeout.what(), HasSubstr("within 300 ms: held by pid "));
    EXPECT_THAT(timeout.what(), HasSubstr("application_name strata"));
    EXPECT_THAT(timeout.what(), HasSubstr("end it with `SELECT pg_terminate_backend("));
  }
  EXPECT_TRUE(pooled->lock_holder(k_table).has_value());
  direct->unlock();
  pooled->lock(k_table, 0ms);
  pooled->unlock();
}

INSTANTIATE_TEST_SUITE_P(Topologies, LeaseTest, ::testing::Values(Topology::galera, Topology::pgbouncer),
                         topology_test_name);

}  // namespace
}  // namespace strata::testing
