// Settings of `crvs simulate` and `crvs dev --simulate` ([simulate] section): where the
// simulated sources send, how much and what kind of traffic they make.
#pragma once

#include <cstdint>
#include <string>

#include "services/platform/config.h"

namespace crvs::simulate {

struct SimulateConfig {
  std::string gateway_address = "127.0.0.1:50051";
  std::string registry_address = "127.0.0.1:50052";
  std::string reconcile_address = "127.0.0.1:50053";
  double rate = 20;
  int facilities = 12;
  int courts = 3;
  double invalid_percent = 3;
  double late_percent = 5;
  double missing_percent = 2;
  double amend_percent = 3;
  double void_percent = 1;
  double time_scale = 1440;
  int64_t seed = 1;
  config::Duration duration{0};
  config::Duration silent_after{60 * 1000};
  config::Duration manifest_interval{30 * 1000};
  config::Duration progress_interval{10 * 1000};
  config::Duration call_timeout{10 * 1000};
  int senders = 4;
  double document_share = 0.2;

  template <class V>
  void Visit(V& v) {
    v("gateway_address", gateway_address,
      "host:port of the ingest gateway (HealthIngest, CourtIngest) the simulated facilities and "
      "courts call; `crvs dev --simulate` uses gateway.listen instead");
    v("registry_address", registry_address,
      "host:port of the registry service the simulated commune registry offices call; "
      "`crvs dev --simulate` uses registry.listen instead");
    v("reconcile_address", reconcile_address,
      "host:port of the reconciliation service the simulated sources declare manifests to; "
      "`crvs dev --simulate` uses reconcile.listen instead");
    v("rate", rate,
      "vital events per second (births, deaths, divorces); corrections, amends, voids, "
      "registrations and manifests come on top");
    v("facilities", facilities, "simulated health facilities (1..500)");
    v("courts", courts, "simulated people's courts (1..100)");
    v("invalid_percent", invalid_percent,
      "share of certificates, notices and decisions first sent with a planted error the gateway "
      "rejects (INVALID_ARGUMENT naming the field), then corrected and re-sent, 0..100");
    v("late_percent", late_percent,
      "share of certificates and notices sent 26..72 h after their issued_at, missing the 24 h "
      "sync SLA, 0..100");
    v("missing_percent", missing_percent,
      "share of certificates and notices a facility declares in its manifest but never sends "
      "(coverage gaps), 0..100");
    v("amend_percent", amend_percent,
      "share of records amended later (corrected weight, refined cause of death), 0..100");
    v("void_percent", void_percent,
      "share of certificates and notices voided later as issued in error, 0..100");
    v("time_scale", time_scale,
      "simulated seconds per real second for what happens days later (registrations, legal "
      "effect of judgments, amends, voids): 1440 = one day per minute");
    v("seed", seed, "random seed: the same seed and start time give the same traffic");
    v("duration", duration, "stop sending after this long; 0 = until stopped (Ctrl-C)");
    v("silent_after", silent_after,
      "the last facility sends normally for this long, then goes quiet (records and manifests), "
      "so the reconciler's silent-source list shows it; 0 = no silent facility");
    v("manifest_interval", manifest_interval,
      "how often each facility and court declares its manifest of the current month");
    v("progress_interval", progress_interval, "how often progress is logged (stderr)");
    v("call_timeout", call_timeout,
      "deadline of each gRPC call, waiting for the service to be reachable included");
    v("senders", senders,
      "concurrent sending threads (each source always sends from the same one, in order)");
    v("document_share", document_share,
      "fraction of facilities (chosen from the seed), 0..1, that send their births and deaths as "
      "signed XML documents (HSDLGCS / HSDLGBT) through HealthIngest.SubmitDocument instead of "
      "Submit; their amends go as re-issued documents, voids stay native");
  }
};

}  // namespace crvs::simulate
