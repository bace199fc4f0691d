#include "advisor/engine/peer_status.h"

namespace wgtune {

PeerChange PeerStatus::Failed(const std::string& error, double now) {
  if (down_) return PeerChange::kNone;
  down_ = true;
  error_ = error;
  down_since_ = now;
  return PeerChange::kDown;
}

PeerChange PeerStatus::Succeeded(double now) {
  if (!down_) return PeerChange::kNone;
  down_ = false;
  last_outage_seconds_ = now - down_since_;
  error_.clear();
  return PeerChange::kRecovered;
}

}  // namespace wgtune
