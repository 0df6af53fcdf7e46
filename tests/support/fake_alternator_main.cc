// fake-alternator: runs a FakeAlternatorCluster until SIGTERM/SIGINT, for tests outside C++ (Python).
// Prints one JSON line when every node is ready; with --control, also obeys commands read from stdin, one
// per line, answering each with one JSON line. `fake-alternator --help` lists everything.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "support/fake_alternator.h"

namespace {

using altgw::testing::FakeAlternatorCluster;
using altgw::testing::FakeAlternatorNode;
using altgw::testing::FakeClusterOptions;
using altgw::testing::FakeNodeCounters;
using altgw::testing::FakeNodeSpec;
using nlohmann::json;

constexpr char kUsage[] = R"(Usage: fake-alternator --dynamodb URL --node SPEC [--node SPEC ...] [options]

Runs a fake multi-node ScyllaDB Alternator cluster in front of one DynamoDB Local, on loopback addresses
sharing one port, until SIGTERM or SIGINT. When ready, prints one JSON line:
  {"ready":true,"pid":PID,"port":P,"endpoints":["http://127.0.0.2:P",...],"nodes":[{"ip":..,"dc":..,
   "rack":..,"listed":..,"live":..,"endpoint":..}],"dynamodb":URL}

  --dynamodb URL                      DynamoDB Local endpoint, e.g. http://127.0.0.1:8000 (required)
  --node IP[:DC[:RACK[:FLAG...]]]     a node (repeatable); DC defaults to datacenter1, RACK to rack1;
                                      FLAGs: listed (default) | unlisted, live (default) | down;
                                      IP:DC:RACK:down is listed but not listening
  --port N                            the shared port (default 0: a free one)
  --transactions[=BOOL]               forward TransactWriteItems/TransactGetItems (default false: refused
                                      with UnknownOperationException, as Alternator does)
  --localnodes-dc-param[=BOOL]        /localnodes honours ?dc= (default true)
  --localnodes-rack-param[=BOOL]      /localnodes honours ?rack= (default true; false: old servers)
  --compress-responses[=BOOL]         gzip answers when Accept-Encoding allows (default false)
  --accept-compressed-requests[=BOOL] decode gzip/deflate request bodies (default true; false: answer 500)
  --chunked-over BYTES                answers above BYTES are sent chunked (default 102400; 0: never)
  --control                           read commands from stdin (see below)
  --die-with-parent                   exit (as on SIGTERM) when the parent process dies
  --help

Commands with --control (NODE = an IP or a 0-based index; one JSON line answers each, {"ok":true,...} or
{"ok":false,"error":...}):
  start NODE | stop NODE
  listing NODE when-running|always|never
  delay NODE MILLISECONDS [before-answer|before-processing]
  fault NODE internal-error|internal-error-after-forward|request-limit-exceeded|close|close-after-forward
        COUNT|every [OPERATION]
  clear-faults NODE
  localnodes-fault NODE none|internal-error|garbage|close
  compress-responses NODE true|false
  accept-compressed-requests NODE true|false
  add-node SPEC
  transactions true|false
  counters [NODE]        per-node counters (or one node's), and their total
  recent NODE            the node's recent requests (method, target, operation, headers)
  reset-counters
  endpoints
BOOL is true|false|1|0|yes|no. Stdin reaching its end stops command reading, not the cluster.
)";

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "fake-alternator: %s\n(see fake-alternator --help)\n", message.c_str());
  std::exit(2);
}

bool ParseBool(const std::string& text, bool* out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    *out = true;
  } else if (text == "false" || text == "0" || text == "no" || text == "off") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

std::vector<std::string> SplitOn(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// IP[:DC[:RACK[:FLAG...]]]; throws std::invalid_argument.
FakeNodeSpec ParseNode(const std::string& text) {
  const std::vector<std::string> parts = SplitOn(text, ':');
  if (parts.empty() || parts[0].empty()) throw std::invalid_argument("bad node spec '" + text + "'");
  FakeNodeSpec spec;
  spec.ip = parts[0];
  if (parts.size() > 1 && !parts[1].empty()) spec.dc = parts[1];
  if (parts.size() > 2 && !parts[2].empty()) spec.rack = parts[2];
  for (size_t i = 3; i < parts.size(); ++i) {
    if (parts[i] == "listed") {
      spec.listed = true;
    } else if (parts[i] == "unlisted") {
      spec.listed = false;
    } else if (parts[i] == "live") {
      spec.live = true;
    } else if (parts[i] == "down") {
      spec.live = false;
    } else {
      throw std::invalid_argument("bad node flag '" + parts[i] + "' in '" + text + "'");
    }
  }
  return spec;
}

json NodeJson(FakeAlternatorNode& node) {
  return {{"ip", node.ip()},         {"dc", node.dc()},           {"rack", node.rack()},
          {"listed", node.listed()}, {"live", node.running()},    {"endpoint", node.endpoint()}};
}

json CountersJson(const FakeNodeCounters& counters) {
  return {{"operations", counters.operations},
          {"dynamodb_requests", counters.dynamodb_requests},
          {"forwarded", counters.forwarded},
          {"localnodes_requests", counters.localnodes_requests},
          {"health_requests", counters.health_requests},
          {"other_requests", counters.other_requests},
          {"connections_accepted", counters.connections_accepted}};
}

FakeAlternatorNode& FindNode(FakeAlternatorCluster& cluster, const std::string& name) {
  if (!name.empty() && name.find('.') == std::string::npos) {
    size_t used = 0;
    const unsigned long index = std::stoul(name, &used);
    if (used == name.size()) return cluster.node(index);
  }
  return cluster.node(name);
}

bool Flag(const std::vector<std::string>& words, size_t index, bool* out) {
  return index < words.size() && ParseBool(words[index], out);
}

json RunCommand(FakeAlternatorCluster& cluster, const std::string& line) {
  std::istringstream stream(line);
  std::vector<std::string> words;
  for (std::string word; stream >> word;) words.push_back(word);
  if (words.empty()) throw std::invalid_argument("empty command");
  const std::string& command = words[0];
  auto node = [&]() -> FakeAlternatorNode& {
    if (words.size() < 2) throw std::invalid_argument(command + ": NODE missing");
    return FindNode(cluster, words[1]);
  };
  json answer = {{"ok", true}};
  bool on = false;
  if (command == "start") {
    node().Start();
  } else if (command == "stop") {
    node().Stop();
  } else if (command == "listing" && words.size() == 3) {
    using Listing = FakeAlternatorNode::Listing;
    const Listing listing = words[2] == "always"         ? Listing::kAlways
                            : words[2] == "never"        ? Listing::kNever
                            : words[2] == "when-running" ? Listing::kWhenRunning
                                                         : throw std::invalid_argument("bad listing " + words[2]);
    node().SetListing(listing);
  } else if (command == "delay" && (words.size() == 3 || words.size() == 4)) {
    using Point = FakeAlternatorNode::DelayPoint;
    Point point = Point::kBeforeAnswer;
    if (words.size() == 4) {
      point = words[3] == "before-processing" ? Point::kBeforeProcessing
              : words[3] == "before-answer"   ? Point::kBeforeAnswer
                                              : throw std::invalid_argument("bad delay point " + words[3]);
    }
    node().SetDelay(std::chrono::milliseconds(std::stol(words[2])), point);
  } else if (command == "fault" && (words.size() == 4 || words.size() == 5)) {
    using Fault = FakeAlternatorNode::Fault;
    const std::string& kind = words[2];
    const Fault fault = kind == "internal-error"                 ? Fault::kInternalError
                        : kind == "internal-error-after-forward" ? Fault::kInternalErrorAfterForward
                        : kind == "request-limit-exceeded"       ? Fault::kRequestLimitExceeded
                        : kind == "close"                        ? Fault::kCloseConnection
                        : kind == "close-after-forward"          ? Fault::kCloseConnectionAfterForward
                                                                 : throw std::invalid_argument("bad fault " + kind);
    const int count = words[3] == "every" ? FakeAlternatorNode::kEvery : std::stoi(words[3]);
    if (count <= 0 && count != FakeAlternatorNode::kEvery) throw std::invalid_argument("bad count " + words[3]);
    node().InjectFault(fault, count, words.size() == 5 ? words[4] : "");
  } else if (command == "clear-faults") {
    node().ClearFaults();
  } else if (command == "localnodes-fault" && words.size() == 3) {
    using LF = FakeAlternatorNode::LocalnodesFault;
    const LF fault = words[2] == "none"             ? LF::kNone
                     : words[2] == "internal-error" ? LF::kInternalError
                     : words[2] == "garbage"        ? LF::kGarbage
                     : words[2] == "close"          ? LF::kCloseConnection
                                                    : throw std::invalid_argument("bad fault " + words[2]);
    node().SetLocalnodesFault(fault);
  } else if (command == "compress-responses" && Flag(words, 2, &on)) {
    node().SetCompressResponses(on);
  } else if (command == "accept-compressed-requests" && Flag(words, 2, &on)) {
    node().SetAcceptCompressedRequests(on);
  } else if (command == "add-node" && words.size() == 2) {
    answer["node"] = NodeJson(cluster.AddNode(ParseNode(words[1])));
  } else if (command == "transactions" && Flag(words, 1, &on)) {
    cluster.SetSupportsTransactions(on);
  } else if (command == "counters") {
    if (words.size() >= 2) {
      answer["counters"] = CountersJson(node().counters());
    } else {
      json per_node = json::array();
      for (const FakeNodeCounters& counters : cluster.CountersPerNode()) per_node.push_back(CountersJson(counters));
      answer["nodes"] = per_node;
      answer["total"] = CountersJson(cluster.TotalCounters());
    }
  } else if (command == "recent") {
    json requests = json::array();
    for (const auto& record : node().RecentRequests()) {
      json headers = json::array();
      for (const auto& [name, value] : record.headers) headers.push_back({name, value});
      requests.push_back({{"method", record.method},
                          {"target", record.target},
                          {"operation", record.operation},
                          {"headers", headers},
                          {"wire_body_bytes", record.wire_body_bytes},
                          {"connection", record.connection}});
    }
    answer["requests"] = requests;
  } else if (command == "reset-counters") {
    cluster.ResetCounters();
  } else if (command == "endpoints") {
    answer["endpoints"] = cluster.endpoints();
  } else {
    throw std::invalid_argument("unknown or malformed command: " + line);
  }
  return answer;
}

std::mutex output_mutex;

void PrintLine(const json& line) {
  std::lock_guard<std::mutex> lock(output_mutex);
  std::cout << line.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  FakeClusterOptions options;
  std::vector<FakeNodeSpec> topology;
  bool control = false;
  bool die_with_parent = false;

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (const size_t equals = arg.find('='); arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
      has_value = true;
    }
    auto take_value = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) Fail(arg + " needs a value");
      return argv[++i];
    };
    auto take_bool = [&]() -> bool {
      bool result = true;
      if (has_value && !ParseBool(value, &result)) Fail("bad boolean for " + arg + ": " + value);
      return result;
    };
    try {
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--dynamodb") {
        options.dynamodb_endpoint = take_value();
      } else if (arg == "--node") {
        topology.push_back(ParseNode(take_value()));
      } else if (arg == "--port") {
        options.port = std::stoi(take_value());
      } else if (arg == "--transactions") {
        options.supports_transactions = take_bool();
      } else if (arg == "--localnodes-dc-param") {
        options.localnodes_dc_param = take_bool();
      } else if (arg == "--localnodes-rack-param") {
        options.localnodes_rack_param = take_bool();
      } else if (arg == "--compress-responses") {
        options.node_defaults.compress_responses = take_bool();
      } else if (arg == "--accept-compressed-requests") {
        options.node_defaults.accept_compressed_requests = take_bool();
      } else if (arg == "--chunked-over") {
        options.node_defaults.chunked_over_bytes = std::stoull(take_value());
      } else if (arg == "--control") {
        control = take_bool();
      } else if (arg == "--die-with-parent") {
        die_with_parent = take_bool();
      } else {
        Fail("unknown argument " + arg);
      }
    } catch (const std::invalid_argument& error) {
      Fail(arg + ": " + error.what());
    } catch (const std::out_of_range& error) {
      Fail(arg + ": " + error.what());
    }
  }
  if (options.dynamodb_endpoint.empty()) Fail("--dynamodb is required");
  if (topology.empty()) Fail("at least one --node is required");

  // Every thread started from here on inherits the mask: only sigwait() below sees these signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) return 1;  // orphaned already
  }

  std::unique_ptr<FakeAlternatorCluster> cluster;
  try {
    cluster = std::make_unique<FakeAlternatorCluster>(topology, options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fake-alternator: %s\n", error.what());
    return 1;
  }
  static std::mutex cluster_mutex;  // guards `cluster` against the control thread at shutdown
  {
    json nodes = json::array();
    for (size_t i = 0; i < cluster->size(); ++i) nodes.push_back(NodeJson(cluster->node(i)));
    PrintLine({{"ready", true},
               {"pid", getpid()},
               {"port", cluster->port()},
               {"endpoints", cluster->endpoints()},
               {"nodes", nodes},
               {"dynamodb", options.dynamodb_endpoint}});
  }

  if (control) {
    // Detached: it may be blocked reading stdin when the process exits.
    std::thread([&cluster] {
      for (std::string line; std::getline(std::cin, line);) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json answer;
        {
          std::lock_guard<std::mutex> lock(cluster_mutex);
          if (!cluster) return;
          try {
            answer = RunCommand(*cluster, line);
          } catch (const std::exception& error) {
            answer = {{"ok", false}, {"error", error.what()}};
          }
        }
        PrintLine(answer);
      }
    }).detach();
  }

  int received = 0;
  sigwait(&signals, &received);
  {
    std::lock_guard<std::mutex> lock(cluster_mutex);
    cluster.reset();
  }
  std::fflush(stdout);
  std::_Exit(0);
}
