#pragma once
// Running an operator's command (DNS hooks, deploy hooks): `/bin/sh -c 'CMD "$@"' ARGS…`, so CMD may
// carry its own arguments while ours arrive as separate words, with extra environment variables.
#include <string>
#include <utility>
#include <vector>

#include "core/util/result.hpp"

namespace pkictl::client {

/** The command's exit status (128 when it did not exit normally). Errors: Io if it cannot start. */
[[nodiscard]] Result<int> run_command(const std::string& command, const std::vector<std::string>& args,
                                      const std::vector<std::pair<std::string, std::string>>& env = {});

}  // namespace pkictl::client
