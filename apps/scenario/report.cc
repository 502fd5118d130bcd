// Report printers (declared in runner.h).
#include "absl/strings/str_cat.h"
#include "apps/scenario/runner.h"
#include "core/json.h"

namespace mesh::scenario {
namespace {

std::string FieldsText(const Fields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) absl::StrAppend(&out, out.empty() ? "" : ", ", k, "=", v);
  return out;
}

void AppendStep(const StepResult& s, std::string& out) {
  absl::StrAppend(&out, "[", s.index, "] h=", s.height, " ", s.description, "\n");
  if (!s.note.empty()) absl::StrAppend(&out, "      # ", s.note, "\n");
  if (s.ok) {
    absl::StrAppend(&out, "      ok: ", s.detail);
    if (!s.actual.empty()) absl::StrAppend(&out, " (", FieldsText(s.actual), ")");
    absl::StrAppend(&out, "\n");
    return;
  }
  absl::StrAppend(&out, "      FAILED: ", s.error, "\n");
  for (const Mismatch& m : s.mismatches) {
    absl::StrAppend(&out, "        ", m.field, ": expected ", m.expected, ", actual ", m.actual,
                    "\n");
  }
  if (!s.actual.empty()) absl::StrAppend(&out, "        all fields: ", FieldsText(s.actual), "\n");
}

Json StepJson(const StepResult& s) {
  Json j = Json::Object();
  j.Add("index", Json::U64(static_cast<uint64_t>(s.index)))
      .Add("step", Json::Str(s.description))
      .Add("height", Json::U64(s.height))
      .Add("ok", Json::Bool(s.ok));
  if (!s.note.empty()) j.Add("note", Json::Str(s.note));
  if (!s.detail.empty()) j.Add("detail", Json::Str(s.detail));
  if (!s.error.empty()) j.Add("error", Json::Str(s.error));
  if (!s.actual.empty()) {
    Json actual = Json::Object();
    for (const auto& [k, v] : s.actual) actual.Add(k, Json::Str(v));
    j.Add("actual", std::move(actual));
  }
  if (!s.mismatches.empty()) {
    Json diffs = Json::Array();
    for (const Mismatch& m : s.mismatches) {
      Json d = Json::Object();
      d.Add("field", Json::Str(m.field))
          .Add("expected", Json::Str(m.expected))
          .Add("actual", Json::Str(m.actual));
      diffs.Push(std::move(d));
    }
    j.Add("mismatches", std::move(diffs));
  }
  return j;
}

}  // namespace

std::string FormatText(const Report& report) {
  std::string out = absl::StrCat("scenario: ", report.name.empty() ? "(unnamed)" : report.name,
                                 "\n");
  if (!report.setup_error.empty()) {
    absl::StrAppend(&out, "FAILED to build the network: ", report.setup_error, "\n");
    return out;
  }
  for (const StepResult& s : report.steps) AppendStep(s, out);
  int ok = 0;
  for (const StepResult& s : report.steps) ok += s.ok ? 1 : 0;
  absl::StrAppend(&out, report.passed() ? "PASSED" : "FAILED", ": ", ok, " of ",
                  report.total_steps, " steps ok\n");
  return out;
}

std::string FormatJson(const Report& report) {
  Json j = Json::Object();
  j.Add("scenario", Json::Str(report.name)).Add("passed", Json::Bool(report.passed()));
  if (!report.setup_error.empty()) j.Add("setup_error", Json::Str(report.setup_error));
  j.Add("total_steps", Json::U64(static_cast<uint64_t>(report.total_steps)));
  Json steps = Json::Array();
  for (const StepResult& s : report.steps) steps.Push(StepJson(s));
  j.Add("steps", std::move(steps));
  return j.Write() + "\n";
}

}  // namespace mesh::scenario
