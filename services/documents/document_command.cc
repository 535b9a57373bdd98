#include "services/documents/document_command.h"

#include <fstream>
#include <optional>
#include <sstream>

#include <absl/strings/str_cat.h>

#include "services/documents/hospital_document.h"
#include "services/platform/exit_codes.h"
#include "services/platform/i18n.h"
#include "services/validation/reference_data.h"

namespace crvs::documents {

namespace {

constexpr const char* kCheckHelp =
    "Read hospital documents as the gateway would and report every problem by element path.\n"
    "Accepted: HSDLGBT (death notice, type 60), HSDLGCS (birth certificate, type 61) and the\n"
    "GIAMDINHHS claims envelope with table XML9 (births, type 9). Each file prints\n"
    "  FILE: OK, N records (TYPE)\n"
    "or one line per problem\n"
    "  FILE: GIAYBAOTU/NGAY_TV: <message>\n"
    "Exit status: 0 all files OK, 1 any file has a problem or cannot be read, 2 bad flags.\n"
    "Samples: docs/documents/samples/. Mapping and rules: services/documents/README.md.";

bool ReadFile(const std::string& path, std::string* content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *content = buffer.str();
  return !in.bad();
}

}  // namespace

int RunDocumentCheck(const DocumentCheckFlags& flags, const validation::ReferenceConfig& reference,
                     std::FILE* out, std::FILE* err) {
  if (flags.files.empty()) {
    std::fprintf(err, "crvs: document check needs at least one FILE (see --help)\n");
    return kExitConfig;
  }
  const std::optional<i18n::Language> language = i18n::ParseLanguage(flags.lang);
  if (!language) {
    std::fprintf(err, "crvs: --lang must be vi or en, not '%s'\n", flags.lang.c_str());
    return kExitConfig;
  }
  ReadOptions options;
  if (!flags.type.empty()) {
    options.declared = ParseDocumentType(flags.type);
    if (options.declared == DocumentType::kUnknown) {
      std::fprintf(err, "crvs: --type must be 60, 61 or 9, not '%s'\n", flags.type.c_str());
      return kExitConfig;
    }
  }
  auto data = validation::ReferenceData::Load(reference.provinces_file);
  if (!data.ok()) return FailWith(data.status(), kExitConfig);
  options.reference = &*data;
  options.facility_code = flags.facility;
  options.now_unix_seconds = flags.now_unix_seconds;

  int exit_code = kExitOk;
  for (const std::string& file : flags.files) {
    std::string xml;
    if (!ReadFile(file, &xml)) {
      std::fprintf(out, "%s\n",
                   i18n::Text(*language, "document.check.unreadable",
                              {{"file", file}, {"detail", "not found or not readable"}})
                       .c_str());
      exit_code = kExitFailed;
      continue;
    }
    const DocumentResult result = ReadHospitalDocument(xml, options);
    if (result.ok()) {
      std::fprintf(out, "%s\n",
                   i18n::Text(*language, "document.check.ok",
                              {{"file", file},
                               {"n", absl::StrCat(result.records.size())},
                               {"type", DocumentTypeName(result.type)}})
                       .c_str());
      continue;
    }
    exit_code = kExitFailed;
    for (const DocumentError& e : result.errors) {
      const std::string& message =
          *language == i18n::Language::kEnglish ? e.message_en : e.message_vi;
      if (e.path.empty()) {
        std::fprintf(out, "%s: %s\n", file.c_str(), message.c_str());
      } else {
        std::fprintf(out, "%s: %s: %s\n", file.c_str(), e.path.c_str(), message.c_str());
      }
    }
  }
  return exit_code;
}

DocumentCommand::DocumentCommand(CLI::App& app) {
  document_ = app.add_subcommand("document", "check hospital documents (HSDLGBT, HSDLGCS, XML9)");
  document_->require_subcommand(1);
  check_ = document_->add_subcommand("check", kCheckHelp);
  // Not ->required(): a missing FILE is our usage error (exit 2), not CLI11's exit code.
  check_->add_option("files", flags_.files, "the documents (XML files)");
  check_->add_option("--lang", flags_.lang, "vi (default) or en: the language of the messages")
      ->capture_default_str();
  check_->add_option("--type", flags_.type,
                     "the declared document type (loaiHs): 60, 61 or 9; a file whose root "
                     "element is of another type is a problem (default: from the root)");
  check_->add_option("--facility", flags_.facility,
                     "the sending facility's code (maCskcb): used when a document has no "
                     "MACSKCB; a different MACSKCB is a problem");
  check_->add_option("--now", flags_.now_unix_seconds,
                     "judge the date rules as of this Unix time (default: now)");
}

bool DocumentCommand::parsed() const { return check_->parsed(); }

int DocumentCommand::Run(const validation::ReferenceConfig& reference) const {
  return RunDocumentCheck(flags_, reference, stdout, stderr);
}

}  // namespace crvs::documents
