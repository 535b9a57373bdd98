// Small-cell suppression for the statistics office's aggregated feed (issue 21): counts of
// births and deaths cross-classified by area, month, sex, age group, ... are published with
// every total, so a small count (0 < n < threshold) could identify a person. Such cells are
// suppressed (primary), and enough other cells are suppressed (complementary) that no
// suppressed cell can be recomputed from the published cells and the additivity of the totals.
//
// Model. A Dimension is a tree of categories whose root is the total ("all"); a Table is the
// full cross-product of the dimensions' nodes, totals included, built from leaf counts so that
// every total is the sum of its parts. For every dimension d, non-leaf node p of d and fixed
// nodes of the other dimensions, cell(p, rest) = sum of cell(child, rest) over p's children:
// each such equation is a "line" (its total and its children are the line's cells).
//
// Guarantee of Suppress: every line holds 0 or >= 2 suppressed cells, and no suppressed cell is
// a linear combination of published cells (its unit vector is outside the row space of the
// lines restricted to the suppressed cells), see suppression.cc for how that is checked exactly.
// A cell of a very large group of linked suppressed cells that no cheap certificate clears is
// treated as recoverable (more suppression, never less), so dense tables can be over-suppressed.
// Zeros are published: suppressing a known zero hides nothing.
//
// Errors (INVALID_ARGUMENT, the message names the offending value): no dimension, a dimension
// with no categories, a category whose parent does not exist, a label repeated in a dimension,
// a leaf-count entry with the wrong number of labels, a label that is not a category of its
// dimension or is a total, a negative count, counts whose sum overflows, a table of more than
// kMaxCells cells, threshold < 1.
//
// Thread-safety: all types are values, immutable once built; Suppress is a pure function.
#pragma once

#include <absl/status/statusor.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crvs::feeds::statistics {

// One classification of the counts: a tree of categories by index. Node 0 is the root, the
// total over the dimension; every other node's parent has a smaller index, so the nodes are
// always a tree. Labels are codes ("79", "26734", "M", "2026-11", "0-4"), unique in a
// dimension.
class Dimension {
 public:
  // A dimension holding only its total, labelled `total_label`.
  explicit Dimension(std::string name, std::string total_label = "all");

  // A dimension with one level: the total and `labels` under it.
  static Dimension Flat(std::string name, const std::vector<std::string>& labels,
                        std::string total_label = "all");

  // Adds category `label` under node `parent` (0: the total) and returns its index. A parent
  // that does not exist (yet) is kept as given and reported by Table::FromLeafCounts.
  int Add(std::string label, int parent = 0);

  const std::string& name() const { return name_; }
  int size() const { return static_cast<int>(labels_.size()); }
  const std::string& label(int node) const { return labels_[node]; }
  int parent(int node) const { return parents_[node]; }  // -1 for the root
  const std::vector<int>& children(int node) const { return children_[node]; }
  bool is_leaf(int node) const { return children_[node].empty(); }
  // The node labelled `label`, if any.
  std::optional<int> Find(std::string_view label) const;

 private:
  std::string name_;
  std::vector<std::string> labels_;
  std::vector<int> parents_;
  std::vector<std::vector<int>> children_;
};

// Counts over the cross-product of the dimensions' nodes (totals included). Cells are numbered
// 0..size()-1 in mixed radix, the last dimension varying fastest; cell 0 is the grand total.
class Table {
 public:
  // The largest table accepted (cells, totals included).
  static constexpr size_t kMaxCells = size_t{1} << 24;

  // One entry of the input: a leaf label per dimension, in the dimensions' order. Entries
  // naming the same leaves add up (one entry per record is fine).
  struct LeafCount {
    std::vector<std::string> labels;
    int64_t count = 0;
  };

  // The table whose leaf cells hold the sums of `counts` (0 where no entry names them) and
  // whose totals are the sums of their parts.
  static absl::StatusOr<Table> FromLeafCounts(std::vector<Dimension> dimensions,
                                              const std::vector<LeafCount>& counts);

  const std::vector<Dimension>& dimensions() const { return dimensions_; }
  size_t size() const { return counts_.size(); }
  int64_t count(size_t cell) const { return counts_[cell]; }
  // The node of each dimension of `cell`, and back.
  std::vector<int> Nodes(size_t cell) const;
  size_t CellOf(const std::vector<int>& nodes) const;
  // How far apart in cell numbers two nodes of dimension `d` next to each other are.
  size_t stride(size_t d) const { return strides_[d]; }

 private:
  Table() = default;

  std::vector<Dimension> dimensions_;
  std::vector<size_t> strides_;
  std::vector<int64_t> counts_;
};

struct Options {
  // A cell with 0 < count < threshold is suppressed. At least 1.
  int64_t threshold = 5;
};

enum class CellStatus {
  kPublished,
  kPrimary,        // 0 < count < threshold
  kComplementary,  // suppressed so that no suppressed cell can be recovered
};

// One cell as the statistics office receives it: no count when suppressed.
struct PublishedCell {
  std::vector<int> nodes;            // node index per dimension
  std::vector<std::string> labels;   // label per dimension
  CellStatus status = CellStatus::kPublished;
  std::optional<int64_t> count;      // nullopt exactly when suppressed

  bool suppressed() const { return status != CellStatus::kPublished; }
};

// The result of Suppress: every cell of the table in cell order, suppressed ones without their
// count (safe to hand to the feed writer as is).
class SuppressedTable {
 public:
  const std::vector<Dimension>& dimensions() const { return dimensions_; }
  const std::vector<PublishedCell>& cells() const { return cells_; }
  std::vector<PublishedCell>::const_iterator begin() const { return cells_.begin(); }
  std::vector<PublishedCell>::const_iterator end() const { return cells_.end(); }
  size_t size() const { return cells_.size(); }

  size_t primary_count() const { return primary_count_; }
  size_t complementary_count() const { return complementary_count_; }
  // How many of the complementary suppressions the exact recoverability check added (the
  // rest come from the "0 or >= 2 per line" rule).
  size_t recoverability_count() const { return recoverability_count_; }

 private:
  friend absl::StatusOr<SuppressedTable> Suppress(const Table& table, const Options& options);

  std::vector<Dimension> dimensions_;
  std::vector<PublishedCell> cells_;
  size_t primary_count_ = 0;
  size_t complementary_count_ = 0;
  size_t recoverability_count_ = 0;
};

// Primary and complementary suppression of `table`; the same input always gives the same
// result. INVALID_ARGUMENT when options.threshold < 1.
absl::StatusOr<SuppressedTable> Suppress(const Table& table, const Options& options = {});

}  // namespace crvs::feeds::statistics
