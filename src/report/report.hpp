#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/runbook.hpp"

#include "runner/runner.hpp"
#include "runner/status.hpp"

namespace strata::report {

// Where each kind of output goes: results on stdout (text, or exactly one JSON document in
// --json mode), progress and diagnostics on stderr.
class Output {
 public:
  Output(bool json, bool quiet, bool verbose, bool color)
      : m_json(json), m_quiet(quiet), m_verbose(verbose), m_color(color) {}

  bool json_mode() const { return m_json; }
  bool verbose() const { return m_verbose; }
  bool color() const { return m_color; }

  // A result line on stdout (text mode only; ignored in --json mode).
  void result(std::string_view line) const;
  // A progress line on stderr, unless --quiet.
  void progress(std::string_view line) const;
  // A detail line on stderr, only with --verbose.
  void detail(std::string_view line) const;
  // "strata: warning: <line>" on stderr, unless --quiet.
  void warning(std::string_view line) const;
  // The one JSON document of this invocation on stdout (--json mode only).
  void document(const nlohmann::json& document) const;

 private:
  bool m_json;
  bool m_quiet;
  bool m_verbose;
  bool m_color;
};

// `status` as an aligned table with a summary line.
std::string status_text(const runner::StatusReport& status, bool color);
nlohmann::json status_json(const runner::StatusReport& status);

nlohmann::json version_json(const tracker::VersionState& state);
std::string version_line(const tracker::VersionState& state);


// up/down/goto/redo result.
nlohmann::json run_json(std::optional<int64_t> from, std::optional<int64_t> to,
                        const std::vector<runner::StepResult>& steps);

// --dry-run: the plan and every statement with file:line, as SQL a reviewer can read.
std::string plan_text(const std::vector<runner::PreparedStep>& steps, std::optional<int64_t> from,
                      std::optional<int64_t> to, std::string_view dialect, std::string_view table);
nlohmann::json plan_json(const std::vector<runner::PreparedStep>& steps);

nlohmann::json error_json(int exit_code, std::string_view message);
// The runbook as fields: `status --json` ("runbook") and the error document of exit 3 ("dirty").
nlohmann::json runbook_json(const Runbook& runbook);

}  // namespace strata::report
