#include "services/registry/registration_write.h"

#include <absl/strings/str_cat.h>

#include "services/platform/status.h"

namespace crvs::registry {

absl::Status RefusalStatus(const records::v1::RecordEnvelope& e,
                           const store::RecordResult& result) {
  const std::string& key = e.business_key();
  switch (result.refusal) {
    case store::Refusal::kKeyVoided:
      return absl::FailedPreconditionError(
          absl::StrCat("registration ", key,
                       " is voided; a voided registration cannot be submitted or amended again"));
    case store::Refusal::kMessageIdReused:
      return InvalidArgument(
          {{"message_id",
            absl::StrCat("\"", e.message_id(),
                         "\" was already used by this office for a different submission; "
                         "re-send a submission unchanged, and give new content a new "
                         "message_id")}});
    case store::Refusal::kSubmitOfOtherContent:
      return absl::AlreadyExistsError(absl::StrCat(
          "registration ", key, " is already recorded (version ", result.version,
          ") with other content; send the change as ACTION_AMEND with its reason"));
    case store::Refusal::kInvalidEnvelope:
      return absl::InternalError(absl::StrCat(
          "the database refused the registration envelope: ", result.error_message));
    case store::Refusal::kNone:
      break;
  }
  return absl::InternalError(absl::StrCat("the database refused registration ", key, " (",
                                          std::string(store::ApplyOutcomeName(result.outcome)),
                                          ") without saying why"));
}

}  // namespace crvs::registry
