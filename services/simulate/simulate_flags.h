// The command-line face of [simulate]: `crvs simulate --rate 50 --time-scale 86400 ...`. One
// flag per configuration key (underscores become dashes), its help the key's description and
// default, so `crvs simulate --help` explains every option. A given flag becomes a
// "simulate.<key>=<value>" assignment that the caller applies after every other configuration
// source: the configuration parses and checks it like a --set, and flags win.
//
// Thread-safety: call from main, before parsing.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace crvs::simulate {

// Adds the flags to `command`; each flag given appends its assignment to `*assignments`.
void AddSimulateFlags(CLI::App* command, std::vector<std::string>* assignments);

}  // namespace crvs::simulate
