#include "embed/generator.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <system_error>

#include "core/error.hpp"
#include "source/loader.hpp"

namespace fs = std::filesystem;

namespace strata::embed {

namespace {

// "app::migrations" → {"app"}, "migrations"; throws UsageError for anything that is not a
// qualified C++ identifier.
std::pair<std::vector<std::string>, std::string> split_function(const std::string& function) {
  static const std::regex k_qualified("(::)?[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*");
  if (!std::regex_match(function, k_qualified)) {
    throw UsageError(fmt::format("invalid function name '{}': expected a C++ name such as app::migrations", function));
  }
  std::vector<std::string> parts;
  for (size_t from = function.rfind("::", 0) == 0 ? 2 : 0;;) {
    const size_t colons = function.find("::", from);
    parts.push_back(function.substr(from, colons == std::string::npos ? std::string::npos : colons - from));
    if (colons == std::string::npos) break;
    from = colons + 2;
  }
  std::string name = parts.back();
  parts.pop_back();
  return {parts, name};
}

// The declaration of the function inside its namespaces, with `body` after it (";" or a block).
std::string declaration(const Request& request, const std::string& body) {
  auto [namespaces, name] = split_function(request.function);
  std::string text;
  if (!namespaces.empty()) text += fmt::format("namespace {} {{\n", fmt::join(namespaces, "::"));
  text += fmt::format("const strata::EmbeddedMigrations& {}(){}\n", name, body);
  if (!namespaces.empty()) text += fmt::format("}}  // namespace {}\n", fmt::join(namespaces, "::"));
  return text;
}

// `bytes` as the lines of a C++ string literal: printable ASCII as it is, everything else
// escaped; a new literal after each newline and every 2000 characters so that lines stay short.
// Octal escapes always have three digits, so a digit that follows one is never read into it.
std::string string_literal(std::string_view bytes) {
  std::string out = "\"";
  size_t column = 0;
  for (size_t index = 0; index < bytes.size(); ++index) {
    const char c = bytes[index];
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '?': out += "\\?"; break;  // never part of a trigraph
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (byte >= 0x20 && byte < 0x7f) {
          out += c;
        } else {
          out += fmt::format("\\{:03o}", byte);
        }
    }
    if ((c == '\n' || ++column >= 2000) && index + 1 < bytes.size()) {
      out += "\"\n    \"";
      column = 0;
    }
  }
  return out + "\"";
}

std::string cpp_comment_text(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  for (size_t at; (at = text.find("*/")) != std::string::npos;) text.replace(at, 2, "* /");
  return text;
}

// The message of a SourceError without its "file:line: " (SourceError's what() adds it).
std::string message_of(const SourceError& error) {
  const std::string prefix =
      error.line() > 0 ? fmt::format("{}:{}: ", error.file(), error.line()) : error.file() + ": ";
  const std::string what = error.what();
  return !error.file().empty() && what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
}

std::string read_bytes(const fs::path& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw SourceError(name, 0, "cannot read file");
  return bytes;
}

}  // namespace

Embedded read_set(const Request& request) {
  split_function(request.function);  // a bad name fails before any file is read
  std::error_code ec;
  if (!fs::is_directory(request.directory, ec)) {
    throw UsageError(
        fmt::format("migrations directory {} does not exist (strata_add_migrations DIR)", request.directory.string()));
  }
  std::vector<Dialect> dialects = request.dialects;
  if (dialects.empty()) dialects.assign(std::begin(k_all_dialects), std::end(k_all_dialects));
  Embedded set;
  for (Dialect dialect : dialects) {
    const source::Source source = source::load_source(request.directory, dialect);
    if (dialect == dialects.front()) set.warnings = source.warnings();
    try {
      for (const source::Migration& migration : source.migrations()) source::parse_migration(migration, dialect);
    } catch (const SourceError& error) {
      if (dialects.size() == 1) throw;
      throw SourceError(error.file(), error.line(),
                        fmt::format("{} (read as {}; pass DIALECT to strata_add_migrations to check only the dialects "
                                    "the program runs on)",
                                    message_of(error), dialect_name(dialect)));
    }
  }
  // Every file the loader reads on some dialect, so that load_embedded() gives what
  // load_source() gives on each. Names were checked by load_source() above.
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(request.directory)) {
    std::string name = entry.path().filename().string();
    if (source::parse_file_name(name) && entry.is_regular_file(ec)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) set.bytes.push_back(read_bytes(request.directory / name, name));
  set.names = std::move(names);
  return set;
}

std::string generate_source(const Request& request, const Embedded& set) {
  std::string out = fmt::format(
      "// Generated by strata-embed from {} at build time (strata_add_migrations); do not edit.\n"
      "#include <strata/embedded.hpp>\n\n"
      "#if defined(__GNUC__)\n"
      "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n"
      "#endif\n\n"
      "namespace {{\n\n",
      cpp_comment_text(request.label));
  for (size_t index = 0; index < set.names.size(); ++index) {
    out += fmt::format("// {}\nconst unsigned char k_file_{}[] =\n    {};\n\n", cpp_comment_text(set.names[index]),
                       index, string_literal(set.bytes[index]));
  }
  if (set.names.empty()) {
    out += "const strata::EmbeddedFile* const k_files = nullptr;\n\n";
  } else {
    out += "const strata::EmbeddedFile k_files[] = {\n";
    for (size_t index = 0; index < set.names.size(); ++index) {
      out += fmt::format("    {{{}, k_file_{}, {}u}},\n", string_literal(set.names[index]), index,
                         set.bytes[index].size());
    }
    out += "};\n\n";
  }
  out += fmt::format("const strata::EmbeddedMigrations k_set = {{{}, k_files, {}u}};\n\n}}  // namespace\n\n",
                     string_literal(request.label), set.names.size());
  out += declaration(request, ";") + "\n" + declaration(request, " { return k_set; }");
  return out;
}

std::string generate_header(const Request& request) {
  return fmt::format(
      "// Generated by strata-embed (strata_add_migrations); do not edit.\n"
      "#pragma once\n\n"
      "#include <strata/embedded.hpp>\n\n"
      "// The migrations of {}, compiled in.\n{}",
      cpp_comment_text(request.label), declaration(request, ";"));
}

namespace {

void write_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw UsageError(fmt::format("cannot write {}", temporary.string()));
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) throw UsageError(fmt::format("cannot write {}: {}", path.string(), ec.message()));
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"Compile a migrations directory into a program (used by strata_add_migrations)", "strata-embed"};
  std::string directory;
  std::string output;
  std::string header;
  std::string label;
  std::vector<std::string> dialect_names;
  Request request;
  app.add_option("directory", directory, "Migrations directory")->required();
  app.add_option("-o,--output", output, "The .cpp to write")->required();
  app.add_option("--header", header, "A header declaring the function");
  app.add_option("-f,--function", request.function, "Qualified name of the function returning the set")->required();
  app.add_option("--label", label, "How messages name the directory (default: as given)");
  app.add_option("--dialect", dialect_names, "Check the set for this dialect (repeatable; default: all three)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  try {
    request.directory = directory;
    request.label = label.empty() ? directory : label;
    for (const std::string& name : dialect_names) {
      std::optional<Dialect> dialect = parse_dialect(name);
      if (!dialect) throw UsageError(fmt::format("unknown dialect '{}': expected sqlite, postgres or mysql", name));
      if (std::find(request.dialects.begin(), request.dialects.end(), *dialect) == request.dialects.end())
        request.dialects.push_back(*dialect);
    }
    Embedded set;
    try {
      set = read_set(request);
    } catch (const SourceError& error) {
      // A compiler's "path:line: message", so that build logs and editors point at the file.
      // A problem of the set rather than of one file (a duplicate version) names the directory.
      if (error.file().empty()) throw SourceError(directory, 0, error.what());
      throw SourceError((fs::path(directory) / error.file()).string(), error.line(), message_of(error));
    }
    for (const std::string& warning : set.warnings) std::cerr << "strata-embed: warning: " << warning << "\n";
    write_file(output, generate_source(request, set));
    if (!header.empty()) write_file(header, generate_header(request));
    return 0;
  } catch (const Error& error) {
    std::cerr << "strata-embed: error: " << error.what() << "\n";
    return static_cast<int>(error.exit_code());
  } catch (const std::exception& error) {
    std::cerr << "strata-embed: error: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace strata::embed
