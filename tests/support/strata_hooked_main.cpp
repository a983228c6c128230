// strata_hooked: the strata program (the same cli::run as src/main.cpp) with the pause hook of
// the crash and hostile-environment tests installed. Only the tests run it; build/strata has
// no hook and reads none of these variables.
//
// With STRATA_TEST_PAUSE_AT=<point> and STRATA_TEST_PAUSE_FILE=<path> in the environment, the
// run writes its pid to <path> when it reaches that point (runner/pause_point.hpp names them)
// and waits there until the file is removed; the test kills it, cuts its connection, deletes
// files, … meanwhile. Without both variables no hook is installed.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "cli/cli.hpp"
#include "runner/pause_point.hpp"

namespace {

class FilePauseHook final : public strata::runner::PauseHook {
 public:
  FilePauseHook(std::string at, std::string file) : m_at(std::move(at)), m_file(std::move(file)) {}

  bool wants(const std::string& name) const override { return name == m_at; }

  void pause(const std::string& /*name*/) override {
    { std::ofstream(m_file) << ::getpid() << '\n'; }
    std::error_code ec;
    while (std::filesystem::exists(m_file, ec)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

 private:
  std::string m_at;
  std::string m_file;
};

}  // namespace

int main(int argc, char** argv) {
  const char* at = std::getenv("STRATA_TEST_PAUSE_AT");
  const char* file = std::getenv("STRATA_TEST_PAUSE_FILE");
  if (at == nullptr || file == nullptr || *at == '\0' || *file == '\0') return strata::cli::run(argc, argv);
  FilePauseHook hook(at, file);
  strata::runner::install_pause_hook(&hook);
  return strata::cli::run(argc, argv);
}
