# frozen_string_literal: true

# Decoding the gateway's rich errors: the google.rpc.Status in the `grpc-status-details-bin` trailer.
#
#   begin
#     data.put(request)
#   rescue GRPC::BadStatus => e
#     error = GatewayError.from(e)
#     retry_later if error.reason == 'BACKEND_THROTTLED'
#   end
#
# Every failed call carries one google.rpc.ErrorInfo (domain "alternator-gateway"; branch on its reason), plus
# BadRequest, ResourceInfo, RetryInfo, PreconditionFailure, ConditionFailure or TransactionFailure where they
# apply (proto/alternator/gateway/v1/errors.proto).
require 'grpc'
require 'google/protobuf/well_known_types'
require 'google/rpc/status_pb'
require 'google/rpc/error_details_pb'
require 'alternator/gateway/v1/errors_pb'

class GatewayError < StandardError
  DOMAIN = 'alternator-gateway'
  STATUS_DETAILS_KEY = 'grpc-status-details-bin'
  DETAIL_TYPES = {
    error_info: Google::Rpc::ErrorInfo,
    bad_request: Google::Rpc::BadRequest,
    resource_info: Google::Rpc::ResourceInfo,
    retry_info: Google::Rpc::RetryInfo,
    precondition_failure: Google::Rpc::PreconditionFailure,
    condition_failure: Alternator::Gateway::V1::ConditionFailure,
    transaction_failure: Alternator::Gateway::V1::TransactionFailure
  }.freeze

  # The gRPC status code (an Integer, GRPC::Core::StatusCodes) and each detail (nil when absent).
  attr_reader :code, :details, *DETAIL_TYPES.keys

  def self.from(bad_status)
    encoded = bad_status.metadata && bad_status.metadata[STATUS_DETAILS_KEY]
    status = encoded ? Google::Rpc::Status.decode(encoded) : Google::Rpc::Status.new
    new(bad_status.code, bad_status.details, status)
  end

  # Runs the block and turns any GRPC::BadStatus it raises into a GatewayError.
  def self.wrap
    yield
  rescue GRPC::BadStatus => e
    raise from(e)
  end

  def initialize(code, details, status)
    @code = code
    @details = details
    status.details.each do |any|
      DETAIL_TYPES.each do |name, type|
        decoded = any.unpack(type)
        instance_variable_set("@#{name}", decoded) if decoded
      end
    end
    super("#{code_name} #{reason.empty? ? '(no ErrorInfo)' : reason}: #{details}")
  end

  # ErrorInfo.reason (an ErrorReason name), or '' when the error carries no ErrorInfo.
  def reason
    error_info ? error_info.reason : ''
  end

  # The canonical name of the code, e.g. FAILED_PRECONDITION.
  def code_name
    GRPC::Core::StatusCodes.constants.find { |c| GRPC::Core::StatusCodes.const_get(c) == code }.to_s
  end
end
