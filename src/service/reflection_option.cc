#include "service/reflection_option.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <algorithm>

namespace altgw::service {
namespace {

class Reflection final : public grpc::ServerBuilderOption {
 public:
  explicit Reflection(bool enabled) : enabled_(enabled) {}

  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    grpc::reflection::ProtoServerReflectionPlugin reference;
    const std::string name = reference.name();
    plugins->erase(
        std::remove_if(plugins->begin(), plugins->end(),
                       [&](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) { return p->name() == name; }),
        plugins->end());
    if (enabled_) plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }

 private:
  const bool enabled_;
};

}  // namespace

std::unique_ptr<grpc::ServerBuilderOption> ReflectionOption(bool enabled) {
  return std::make_unique<Reflection>(enabled);
}

}  // namespace altgw::service
