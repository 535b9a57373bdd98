// libFuzzer target: the historical-export reader (export_reader.h) on arbitrary file contents,
// CSV and NDJSON, both export kinds.
//
// Byte 0 picks the format (bit 0: CSV / NDJSON) and the kind (bit 1: divorce / registration);
// the rest is the file. Beyond "no crash, no sanitizer report", every run checks the reader's
// contract: rows are numbered 1, 2, 3, ... in order; each row has one value slot per column of
// its kind; a row's problem names a reason; CountRows agrees with reading row by row.
#include <cstddef>
#include <cstdint>
#include <string>

#include "services/backfill/export_reader.h"
#include "tests/fuzz/fuzz_input.h"

namespace crvs::backfill {
namespace {

using fuzz::FuzzFail;

volatile size_t g_sink = 0;  // keeps the reads of every value byte from being optimised away

void RunOne(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  const uint8_t selector = in.Byte();
  const ExportFormat format = selector & 1 ? ExportFormat::kNdjson : ExportFormat::kCsv;
  const ExportKind kind = selector & 2 ? ExportKind::kRegistration : ExportKind::kDivorce;
  const auto bytes = in.Rest();
  const auto export_data = ExportData::FromString(std::string(bytes.data(), bytes.size()));

  auto reader = ExportReader::Open(*export_data, format, kind, "fuzz.export");
  auto count = CountRows(*export_data, format, kind);
  if (!reader.ok()) {
    if (count.ok()) FuzzFail("Open failed but CountRows counted: " + reader.status().ToString());
    return;
  }
  if (!count.ok()) FuzzFail("Open succeeded but CountRows failed: " + count.status().ToString());
  const size_t columns = Columns(kind).size();
  RawRow row;
  int64_t rows = 0;
  while ((*reader)->Next(&row)) {
    ++rows;
    if (row.number != rows) {
      FuzzFail("row " + std::to_string(rows) + " numbered " + std::to_string(row.number));
    }
    if (row.values.size() != columns) {
      FuzzFail("row " + std::to_string(rows) + " has " + std::to_string(row.values.size()) +
               " values for " + std::to_string(columns) + " columns");
    }
    // The views must point at live bytes: touching every byte lets ASan catch a dangling one.
    size_t sum = 0;
    for (std::string_view v : row.values) {
      for (char c : v) sum += static_cast<unsigned char>(c);
    }
    g_sink = sum;
    if (row.problem && ReasonName(row.problem->reason).empty()) FuzzFail("problem without reason");
  }
  if (rows != *count) {
    FuzzFail("CountRows says " + std::to_string(*count) + ", reading gave " + std::to_string(rows));
  }
}

}  // namespace
}  // namespace crvs::backfill

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crvs::backfill::RunOne(data, size);
  return 0;
}
