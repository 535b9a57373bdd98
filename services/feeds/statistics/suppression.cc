// Small-cell suppression: see suppression.h for the model and the guarantee.
//
// How Suppress works:
//  1. Primary: every cell with 0 < count < threshold.
//  2. Pairwise fixpoint: a line with exactly one suppressed cell gets a second one, the
//     published cell of the line with the smallest non-zero count (ties: one of the line's
//     children before its total, then the less aggregated cell, then the smaller cell number).
//     Each new suppression re-queues the lines through that cell, until no line has exactly one.
//  3. Exact check: a suppressed cell x is recoverable iff e_x lies in the row space of the lines
//     restricted to the suppressed cells (published cells are constants). Equivalently, x is
//     safe iff some vector v over the suppressed cells with v_x != 0 satisfies every line
//     (then true + t*v is as consistent as the truth). We look for such a v in three ways,
//     cheapest first, and remember safe cells across rounds (suppressing more cells keeps every
//     such v valid):
//     a. A product certificate: for each dimension a vector over its nodes that satisfies the
//        dimension's own sums (one leaf +1 and its ancestors +1, or two leaves +1/-1 and their
//        ancestors below their common ancestor) and is non-zero at x's node; their tensor
//        product satisfies every line of the table. If all its cells are suppressed, every one
//        of them is safe. No arithmetic at all, and its entries are +-1, so with suppressed
//        counts >= 1 the truth plus v is a non-negative integer table too: the cell is not
//        even recoverable by an attacker who uses that counts are non-negative integers. In a
//        table with many small cells this settles nearly every cell.
//     b. Linear algebra on the cells within a growing neighbourhood S of x (suppressed cells
//        reached through shared lines): e_x outside the row space of the lines touching S,
//        restricted to S, gives a v supported on S, which satisfies every line of the table.
//     c. When S is x's whole connected component (suppressed cells linked by lines holding at
//        least two of them — lines only ever couple cells of one component, so components are
//        independent systems), e_x inside the row space means x is recoverable.
//     A component larger than kMaxExactCells whose cell passes none of a-b is treated as
//     recoverable: over-suppression is the safe side, and dense elimination beyond that size
//     would not fit the time budget (a realistic table settles in a).
//  4. For each recoverable cell (all of them each round), suppress the published cell of
//     smallest non-zero count on a line through it, and go back to 2.
//
// Exact arithmetic: Gaussian elimination modulo the primes 2^61-1 and 2^62-57 (128-bit
// products). The coefficients are 0 and +-1, but exact rationals grow like the system's minors
// (Hadamard bound k^(k/2) for k unknowns) and overflow 128 bits beyond ~30 unknowns, while a
// residue never grows. Modulo p, a row-space answer differs from the rational one only if p
// divides one of the minors involved (for k <= 25 unknowns every minor is below 2^61, so no
// prime can divide a non-zero one). As a sanity check the elimination runs modulo both primes,
// and a cell counts as safe only if both say so: a wrong "safe" would need both primes to
// divide minors of the same system, a wrong "recoverable" only costs an extra suppression.
#include "services/feeds/statistics/suppression.h"

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>
#include <utility>

namespace crvs::feeds::statistics {

Dimension::Dimension(std::string name, std::string total_label)
    : name_(std::move(name)),
      labels_{std::move(total_label)},
      parents_{-1},
      children_(1) {}

Dimension Dimension::Flat(std::string name, const std::vector<std::string>& labels,
                          std::string total_label) {
  Dimension d(std::move(name), std::move(total_label));
  for (const std::string& label : labels) d.Add(label);
  return d;
}

int Dimension::Add(std::string label, int parent) {
  const int node = size();
  labels_.push_back(std::move(label));
  parents_.push_back(parent);
  children_.emplace_back();
  if (parent >= 0 && parent < node) children_[parent].push_back(node);
  return node;
}

std::optional<int> Dimension::Find(std::string_view label) const {
  for (int i = 0; i < size(); ++i) {
    if (labels_[i] == label) return i;
  }
  return std::nullopt;
}

namespace {

absl::Status ValidateDimension(const Dimension& d) {
  if (d.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension \"", d.name(), "\" has no categories"));
  }
  std::map<std::string_view, int> seen;
  for (int node = 0; node < d.size(); ++node) {
    if (node > 0 && (d.parent(node) < 0 || d.parent(node) >= node)) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension \"", d.name(), "\": category \"", d.label(node),
                       "\" has parent ", d.parent(node), ", which is not an earlier category"));
    }
    if (!seen.emplace(d.label(node), node).second) {
      return absl::InvalidArgumentError(absl::StrCat("dimension \"", d.name(), "\": label \"",
                                                     d.label(node), "\" appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Table> Table::FromLeafCounts(std::vector<Dimension> dimensions,
                                            const std::vector<LeafCount>& counts) {
  if (dimensions.empty()) return absl::InvalidArgumentError("a table needs a dimension");
  size_t cells = 1;
  for (const Dimension& d : dimensions) {
    if (absl::Status s = ValidateDimension(d); !s.ok()) return s;
    if (cells > kMaxCells / static_cast<size_t>(d.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("the table has more than ", kMaxCells, " cells (at dimension \"",
                       d.name(), "\")"));
    }
    cells *= static_cast<size_t>(d.size());
  }

  Table table;
  table.dimensions_ = std::move(dimensions);
  const size_t dims = table.dimensions_.size();
  table.strides_.assign(dims, 1);
  for (size_t d = dims - 1; d > 0; --d) {
    table.strides_[d - 1] = table.strides_[d] * table.dimensions_[d].size();
  }
  table.counts_.assign(cells, 0);

  // Label lookup per dimension: inputs can hold one entry per record.
  std::vector<std::map<std::string, int, std::less<>>> node_of(dims);
  for (size_t d = 0; d < dims; ++d) {
    const Dimension& dim = table.dimensions_[d];
    for (int node = 0; node < dim.size(); ++node) node_of[d].emplace(dim.label(node), node);
  }
  int64_t grand_total = 0;
  for (const LeafCount& entry : counts) {
    if (entry.labels.size() != dims) {
      return absl::InvalidArgumentError(absl::StrCat(
          "leaf count (", absl::StrJoin(entry.labels, ", "), ") has ", entry.labels.size(),
          " labels, the table has ", dims, " dimensions"));
    }
    size_t cell = 0;
    for (size_t d = 0; d < dims; ++d) {
      const Dimension& dim = table.dimensions_[d];
      auto it = node_of[d].find(entry.labels[d]);
      if (it == node_of[d].end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dimension \"", dim.name(), "\": \"", entry.labels[d], "\" is not a category"));
      }
      if (!dim.is_leaf(it->second)) {
        return absl::InvalidArgumentError(
            absl::StrCat("dimension \"", dim.name(), "\": \"", entry.labels[d],
                         "\" is a total, not a leaf category"));
      }
      cell += static_cast<size_t>(it->second) * table.strides_[d];
    }
    if (entry.count < 0) {
      return absl::InvalidArgumentError(absl::StrCat("leaf count (",
                                                     absl::StrJoin(entry.labels, ", "),
                                                     ") is negative: ", entry.count));
    }
    if (grand_total > std::numeric_limits<int64_t>::max() - entry.count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "leaf count (", absl::StrJoin(entry.labels, ", "), ") overflows the grand total"));
    }
    grand_total += entry.count;
    table.counts_[cell] += entry.count;
  }

  // Totals, one dimension at a time: after dimension d, every cell whose nodes below d are
  // leaves holds its sum over d. Nodes in decreasing order reach a parent after all its
  // children are complete (a parent's index is smaller). No overflow: every cell is at most
  // the grand total.
  for (size_t d = 0; d < dims; ++d) {
    const Dimension& dim = table.dimensions_[d];
    const size_t stride = table.strides_[d];
    const size_t block = stride * dim.size();
    for (int node = dim.size() - 1; node > 0; --node) {
      const size_t shift = static_cast<size_t>(node - dim.parent(node)) * stride;
      for (size_t outer = 0; outer < cells; outer += block) {
        const size_t first = outer + static_cast<size_t>(node) * stride;
        for (size_t cell = first; cell < first + stride; ++cell) {
          table.counts_[cell - shift] += table.counts_[cell];
        }
      }
    }
  }
  return table;
}

std::vector<int> Table::Nodes(size_t cell) const {
  std::vector<int> nodes(dimensions_.size());
  for (size_t d = 0; d < dimensions_.size(); ++d) {
    nodes[d] = static_cast<int>((cell / strides_[d]) % dimensions_[d].size());
  }
  return nodes;
}

size_t Table::CellOf(const std::vector<int>& nodes) const {
  size_t cell = 0;
  for (size_t d = 0; d < dimensions_.size(); ++d) cell += nodes[d] * strides_[d];
  return cell;
}

namespace {

__extension__ using Uint128 = unsigned __int128;

constexpr uint64_t kPrimes[] = {(uint64_t{1} << 61) - 1, (uint64_t{1} << 62) - 57};

// Components beyond this many suppressed cells are not eliminated densely (see the top).
constexpr size_t kMaxExactCells = 400;
// Neighbourhood sizes tried before the whole component.
constexpr size_t kNeighbourhoods[] = {24, 96};
// Partial boxes a product-certificate search may try for one cell.
constexpr int kCertificateBudget = 20000;

uint64_t MulMod(uint64_t a, uint64_t b, uint64_t p) {
  return static_cast<uint64_t>(static_cast<Uint128>(a) * b % p);
}

uint64_t InvMod(uint64_t a, uint64_t p) {  // Fermat: p is prime, a != 0
  uint64_t result = 1;
  for (uint64_t e = p - 2; e > 0; e >>= 1) {
    if (e & 1) result = MulMod(result, a, p);
    a = MulMod(a, a, p);
  }
  return result;
}

// A sparse row over local columns: (column, coefficient +1 or -1).
using SparseRow = std::vector<std::pair<int, int>>;

// Whether the unit vector of the last column (n - 1) lies in the row space of `rows` modulo
// p, by forward elimination: the pivots' leading columns are the leading columns of every
// vector of the row space, and a vector of the row space leads at the last column only if it is
// a multiple of that column's unit vector.
bool LastUnitInRowSpace(const std::vector<SparseRow>& rows, int n, uint64_t p) {
  std::vector<std::vector<uint64_t>> pivot(n);
  std::vector<uint64_t> r(n);
  for (const SparseRow& row : rows) {
    std::fill(r.begin(), r.end(), 0);
    for (auto [col, coef] : row) r[col] = (r[col] + (coef > 0 ? 1 : p - 1)) % p;
    for (int c = 0; c < n; ++c) {
      if (r[c] == 0) continue;
      if (!pivot[c].empty()) {
        const uint64_t f = r[c];
        const std::vector<uint64_t>& pv = pivot[c];
        for (int k = c; k < n; ++k) {
          if (pv[k] != 0) r[k] = (r[k] + p - MulMod(f, pv[k], p)) % p;
        }
        continue;
      }
      const uint64_t inv = InvMod(r[c], p);
      for (int k = c; k < n; ++k) r[k] = MulMod(r[k], inv, p);
      pivot[c] = r;
      if (c == n - 1) return true;
      break;
    }
  }
  return false;
}

// The additivity structure of a table: its lines and which lines go through each cell.
class Lines {
 public:
  explicit Lines(const Table& table) : table_(table) {
    const auto& dims = table.dimensions();
    const size_t cells = table.size();
    cell_lines_start_.assign(cells + 1, 0);
    std::vector<std::vector<int>> through(cells);
    for (size_t cell = 0; cell < cells; ++cell) {
      for (size_t d = 0; d < dims.size(); ++d) {
        const int node = static_cast<int>((cell / table.stride(d)) % dims[d].size());
        if (dims[d].is_leaf(node)) continue;
        const int line = static_cast<int>(lines_.size());
        lines_.push_back({static_cast<int>(d), cell});
        through[cell].push_back(line);
        for (int child : dims[d].children(node)) {
          through[cell + (child - node) * table.stride(d)].push_back(line);
        }
      }
    }
    for (size_t cell = 0; cell < cells; ++cell) {
      cell_lines_start_[cell + 1] = cell_lines_start_[cell] + through[cell].size();
      cell_lines_.insert(cell_lines_.end(), through[cell].begin(), through[cell].end());
    }
  }

  size_t size() const { return lines_.size(); }
  size_t total(int line) const { return lines_[line].total; }

  // The line's cells, its total first.
  void CellsOf(int line, std::vector<size_t>* out) const {
    const Line& l = lines_[line];
    const Dimension& dim = table_.dimensions()[l.dim];
    const size_t stride = table_.stride(l.dim);
    const int node = static_cast<int>((l.total / stride) % dim.size());
    out->clear();
    out->push_back(l.total);
    for (int child : dim.children(node)) out->push_back(l.total + (child - node) * stride);
  }

  // The lines through `cell`, in increasing order.
  std::pair<const int*, const int*> Through(size_t cell) const {
    return {cell_lines_.data() + cell_lines_start_[cell],
            cell_lines_.data() + cell_lines_start_[cell + 1]};
  }

 private:
  struct Line {
    int dim;
    size_t total;
  };
  const Table& table_;
  std::vector<Line> lines_;
  std::vector<size_t> cell_lines_start_;
  std::vector<int> cell_lines_;
};

// One candidate vector of a dimension for the product certificate: nodes and signs.
struct Factor {
  std::vector<std::pair<int, int>> entries;  // (node, +1 / -1)
};

// For each node of `dim`, the factors non-zero at it (smallest first): one leaf and its
// ancestors (+1), and two leaves (+1, -1) with their ancestors below the common one. Pairs of
// leaves in different parents are only listed for dimensions of up to 64 leaves (the national
// commune dimension would give millions); sibling pairs always.
std::vector<std::vector<Factor>> FactorsByNode(const Dimension& dim) {
  std::vector<int> leaves;
  for (int node = 0; node < dim.size(); ++node) {
    if (dim.is_leaf(node)) leaves.push_back(node);
  }
  auto path = [&](int node) {
    std::vector<int> p;
    for (; node >= 0; node = dim.parent(node)) p.push_back(node);
    return p;  // node ... root
  };
  std::vector<Factor> factors;
  for (int leaf : leaves) {
    Factor f;
    for (int node : path(leaf)) f.entries.push_back({node, +1});
    factors.push_back(std::move(f));
  }
  const bool all_pairs = leaves.size() <= 64;
  for (size_t i = 0; i < leaves.size(); ++i) {
    for (size_t j = i + 1; j < leaves.size(); ++j) {
      const int a = leaves[i];
      const int b = leaves[j];
      if (!all_pairs && dim.parent(a) != dim.parent(b)) continue;
      std::vector<int> pa = path(a);
      std::vector<int> pb = path(b);
      // Drop the common ancestors (the tails of both paths).
      while (!pa.empty() && !pb.empty() && pa.back() == pb.back()) {
        pa.pop_back();
        pb.pop_back();
      }
      Factor f;
      for (int node : pa) f.entries.push_back({node, +1});
      for (int node : pb) f.entries.push_back({node, -1});
      factors.push_back(std::move(f));
    }
  }
  std::vector<std::vector<Factor>> by_node(dim.size());
  for (const Factor& f : factors) {
    for (auto [node, sign] : f.entries) by_node[node].push_back(f);
  }
  for (auto& list : by_node) {
    std::stable_sort(list.begin(), list.end(), [](const Factor& a, const Factor& b) {
      return a.entries.size() < b.entries.size();
    });
  }
  return by_node;
}

class Suppressor {
 public:
  Suppressor(const Table& table, int64_t threshold)
      : table_(table), lines_(table), status_(table.size(), CellStatus::kPublished),
        safe_(table.size(), false), line_suppressed_(lines_.size(), 0),
        seen_(table.size(), 0) {
    for (const Dimension& dim : table.dimensions()) factors_.push_back(FactorsByNode(dim));
    for (size_t cell = 0; cell < table.size(); ++cell) {
      const int64_t n = table.count(cell);
      if (n > 0 && n < threshold) MarkSuppressed(cell, CellStatus::kPrimary);
    }
  }

  void Run() {
    while (true) {
      PairwiseFixpoint();
      std::vector<size_t> recoverable = RecoverableCells();
      bool added = false;
      for (size_t cell : recoverable) {
        // An earlier extra of this round may already have made `cell` safe; suppressing one
        // more of its line-mates is harmless then, and saves a round.
        std::optional<size_t> extra = ExtraFor(cell);
        if (extra && !suppressed(*extra)) {
          MarkSuppressed(*extra, CellStatus::kComplementary);
          ++recoverability_count_;
          added = true;
        }
      }
      // No candidate anywhere: every published cell on the component's lines is zero, so the
      // component's system is homogeneous and the true counts (all non-zero) are a solution
      // non-zero at every cell: nothing there is recoverable after all.
      if (!added) return;
    }
  }

  const std::vector<CellStatus>& status() const { return status_; }
  size_t recoverability_count() const { return recoverability_count_; }

 private:
  bool suppressed(size_t cell) const { return status_[cell] != CellStatus::kPublished; }

  void MarkSuppressed(size_t cell, CellStatus why) {
    status_[cell] = why;
    auto [first, last] = lines_.Through(cell);
    for (const int* line = first; line != last; ++line) {
      if (++line_suppressed_[*line] == 1) queue_.push_back(*line);
    }
  }

  // How aggregated a cell is: its number of non-leaf nodes.
  int Aggregation(size_t cell) const {
    int n = 0;
    const auto& dims = table_.dimensions();
    for (size_t d = 0; d < dims.size(); ++d) {
      n += !dims[d].is_leaf(static_cast<int>((cell / table_.stride(d)) % dims[d].size()));
    }
    return n;
  }

  // The published cell of `line` to suppress next: smallest non-zero count, then a child
  // before the total, then the less aggregated, then the smaller cell number. Never a zero.
  std::optional<size_t> Candidate(int line) {
    lines_.CellsOf(line, &scratch_);
    std::optional<size_t> best;
    std::tuple<int64_t, bool, int, size_t> best_key;
    for (size_t cell : scratch_) {
      if (suppressed(cell) || table_.count(cell) == 0) continue;
      auto key = std::make_tuple(table_.count(cell), cell == lines_.total(line),
                                 Aggregation(cell), cell);
      if (!best || key < best_key) {
        best = cell;
        best_key = key;
      }
    }
    return best;
  }

  void PairwiseFixpoint() {
    while (!queue_.empty()) {
      const int line = queue_.front();
      queue_.pop_front();
      if (line_suppressed_[line] != 1) continue;
      // A line with one suppressed (non-zero) cell always has a non-zero published cell: its
      // total is non-zero, or a child is when the total is the suppressed cell.
      if (std::optional<size_t> cell = Candidate(line)) {
        MarkSuppressed(*cell, CellStatus::kComplementary);
      }
    }
  }

  // Suppressed cells reached from `start` through lines (breadth first, in cell order within
  // a line), stopping once `limit` are collected. `complete` says whether that is the whole
  // component (the search ran out of cells before reaching the limit).
  std::vector<size_t> Neighbourhood(size_t start, size_t limit, bool* complete) {
    std::vector<size_t> found{start};
    seen_[start] = 1;
    std::vector<size_t> cells;
    *complete = true;
    for (size_t i = 0; i < found.size(); ++i) {
      if (found.size() >= limit) {
        *complete = false;
        break;
      }
      auto [first, last] = lines_.Through(found[i]);
      for (const int* line = first; line != last; ++line) {
        if (line_suppressed_[*line] < 2) continue;
        lines_.CellsOf(*line, &cells);
        for (size_t cell : cells) {
          if (suppressed(cell) && !seen_[cell]) {
            seen_[cell] = 1;
            found.push_back(cell);
          }
        }
      }
    }
    for (size_t cell : found) seen_[cell] = 0;
    return found;
  }

  // Whether e_x lies in the row space of the lines touching `cells` restricted to `cells`
  // (x = cells[0]), modulo either prime (see the top: "safe" needs both to say no).
  bool UnitInRowSpace(const std::vector<size_t>& cells) {
    const int n = static_cast<int>(cells.size());
    std::map<size_t, int> column;
    // x is the last column; the others keep their breadth-first order.
    for (int i = 1; i < n; ++i) column[cells[i]] = i - 1;
    column[cells[0]] = n - 1;
    std::vector<int> line_ids;
    for (size_t cell : cells) {
      auto [first, last] = lines_.Through(cell);
      line_ids.insert(line_ids.end(), first, last);
    }
    std::sort(line_ids.begin(), line_ids.end());
    line_ids.erase(std::unique(line_ids.begin(), line_ids.end()), line_ids.end());
    std::vector<SparseRow> rows;
    std::vector<size_t> line_cells;
    for (int line : line_ids) {
      lines_.CellsOf(line, &line_cells);
      SparseRow row;
      for (size_t k = 0; k < line_cells.size(); ++k) {
        auto it = column.find(line_cells[k]);
        if (it != column.end()) row.push_back({it->second, k == 0 ? +1 : -1});
      }
      rows.push_back(std::move(row));
    }
    for (uint64_t p : kPrimes) {
      if (LastUnitInRowSpace(rows, n, p)) return true;
    }
    return false;
  }

  // Searches a product certificate through `x` (see the top, 3a); marks its cells safe.
  bool Certify(size_t x) {
    const auto& dims = table_.dimensions();
    const std::vector<int> nodes = table_.Nodes(x);
    const size_t dcount = dims.size();
    int budget = kCertificateBudget;
    // offsets[k]: the partial sums over dimensions < k of the chosen factors' nodes.
    std::vector<std::vector<size_t>> offsets(dcount + 1);
    offsets[0] = {0};
    std::vector<size_t> rest(dcount + 1, 0);  // x's offset over dimensions >= k
    for (size_t k = dcount; k-- > 0;) rest[k] = rest[k + 1] + nodes[k] * table_.stride(k);

    auto search = [&](auto&& self, size_t k) -> bool {
      if (k == dcount) return true;
      for (const Factor& f : factors_[k][nodes[k]]) {
        if (--budget < 0) return false;
        std::vector<size_t>& next = offsets[k + 1];
        next.clear();
        bool ok = true;
        for (size_t o : offsets[k]) {
          for (auto [node, sign] : f.entries) {
            const size_t partial = o + node * table_.stride(k);
            if (!suppressed(partial + rest[k + 1])) {
              ok = false;
              break;
            }
            next.push_back(partial);
          }
          if (!ok) break;
        }
        if (!ok) continue;
        if (self(self, k + 1)) return true;
        if (budget < 0) return false;
      }
      return false;
    };
    if (!search(search, 0)) return false;
    for (size_t cell : offsets[dcount]) safe_[cell] = true;
    return true;
  }

  // Whether `x` (suppressed, not known safe) is recoverable; marks it safe otherwise.
  bool Recoverable(size_t x) {
    if (Certify(x)) return false;
    for (size_t limit : kNeighbourhoods) {
      bool complete = false;
      std::vector<size_t> cells = Neighbourhood(x, limit, &complete);
      if (!UnitInRowSpace(cells)) {
        safe_[x] = true;
        return false;
      }
      if (complete) return true;
    }
    bool complete = false;
    std::vector<size_t> cells = Neighbourhood(x, kMaxExactCells + 1, &complete);
    if (!complete) return true;  // too large to decide: over-suppress (see the top)
    if (!UnitInRowSpace(cells)) {
      safe_[x] = true;
      return false;
    }
    return true;
  }

  // The recoverable cells, in cell order.
  std::vector<size_t> RecoverableCells() {
    std::vector<size_t> found;
    for (size_t x = 0; x < table_.size(); ++x) {
      if (suppressed(x) && !safe_[x] && Recoverable(x)) found.push_back(x);
    }
    return found;
  }

  // The published cell to suppress so that `x` is no longer recoverable: the best candidate
  // (as in the pairwise rule) on a line through x, else on a line through the nearest part of its
  // component that has one.
  std::optional<size_t> ExtraFor(size_t x) {
    auto best_on_lines_of = [&](const std::vector<size_t>& cells) -> std::optional<size_t> {
      std::optional<size_t> best;
      std::tuple<int64_t, bool, int, size_t> best_key;
      for (size_t cell : cells) {
        auto [first, last] = lines_.Through(cell);
        for (const int* line = first; line != last; ++line) {
          std::optional<size_t> c = Candidate(*line);
          if (!c) continue;
          auto key = std::make_tuple(table_.count(*c), *c == lines_.total(*line),
                                     Aggregation(*c), *c);
          if (!best || key < best_key) {
            best = c;
            best_key = key;
          }
        }
      }
      return best;
    };
    if (std::optional<size_t> c = best_on_lines_of({x})) return c;
    // The nearest cells first: the whole component can be most of the table.
    for (size_t limit = 64;; limit *= 8) {
      bool complete = false;
      std::vector<size_t> near = Neighbourhood(x, limit, &complete);
      if (std::optional<size_t> c = best_on_lines_of(near)) return c;
      if (complete) return std::nullopt;
    }
  }

  const Table& table_;
  const Lines lines_;
  std::vector<CellStatus> status_;
  std::vector<bool> safe_;  // suppressed and known not recoverable
  std::vector<int> line_suppressed_;
  std::deque<int> queue_;   // lines whose suppressed count became 1
  std::vector<std::vector<std::vector<Factor>>> factors_;  // dimension → node → factors
  std::vector<size_t> scratch_;
  std::vector<char> seen_;  // scratch of Neighbourhood, all 0 between calls
  size_t recoverability_count_ = 0;
};

}  // namespace

absl::StatusOr<SuppressedTable> Suppress(const Table& table, const Options& options) {
  if (options.threshold < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold must be at least 1, got ", options.threshold));
  }
  Suppressor suppressor(table, options.threshold);
  suppressor.Run();

  SuppressedTable result;
  result.dimensions_ = table.dimensions();
  result.cells_.reserve(table.size());
  for (size_t cell = 0; cell < table.size(); ++cell) {
    PublishedCell out;
    out.nodes = table.Nodes(cell);
    for (size_t d = 0; d < out.nodes.size(); ++d) {
      out.labels.push_back(table.dimensions()[d].label(out.nodes[d]));
    }
    out.status = suppressor.status()[cell];
    switch (out.status) {
      case CellStatus::kPublished:
        out.count = table.count(cell);
        break;
      case CellStatus::kPrimary:
        ++result.primary_count_;
        break;
      case CellStatus::kComplementary:
        ++result.complementary_count_;
        break;
    }
    result.cells_.push_back(std::move(out));
  }
  result.recoverability_count_ = suppressor.recoverability_count();
  return result;
}

}  // namespace crvs::feeds::statistics
