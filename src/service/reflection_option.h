// Server reflection on or off, for one server. Loading libgrpc++_reflection registers its plugin for EVERY
// server built in the process (a static initializer in the library calls
// InitProtoReflectionServerBuilderPlugin()), so without this option --no-reflection had no effect. The
// option, set on a builder, removes the globally added plugin and adds one back only when `enabled`.
#ifndef ALTGW_SERVICE_REFLECTION_OPTION_H_
#define ALTGW_SERVICE_REFLECTION_OPTION_H_

#include <grpcpp/impl/server_builder_option.h>

#include <memory>

namespace altgw::service {

std::unique_ptr<grpc::ServerBuilderOption> ReflectionOption(bool enabled);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_REFLECTION_OPTION_H_
