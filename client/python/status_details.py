"""Decoding the gateway's rich errors: the google.rpc.Status in the `grpc-status-details-bin` trailer.

Every failed call carries one google.rpc.ErrorInfo (domain "alternator-gateway"; branch on its `reason`),
plus BadRequest, ResourceInfo, RetryInfo, PreconditionFailure, ConditionFailure or TransactionFailure where
they apply (see proto/alternator/gateway/v1/errors.proto).

    try:
        data.Put(request, timeout=5)
    except grpc.RpcError as error:
        details = GatewayErrorDetails.of(error)
        if details.reason == "CONDITION_FAILED": ...
"""
import grpc

from alternator.gateway.v1 import errors_pb2
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
GATEWAY_DOMAIN = "alternator-gateway"


class GatewayErrorDetails:
    """The typed details of one failed call (each attribute is None when the error did not carry it)."""

    def __init__(self, code, message, status):
        self.code = code  # grpc.StatusCode
        self.message = message
        self.error_info = None  # google.rpc.ErrorInfo
        self.bad_request = None  # google.rpc.BadRequest
        self.resource_info = None  # google.rpc.ResourceInfo
        self.retry_info = None  # google.rpc.RetryInfo
        self.precondition_failure = None  # google.rpc.PreconditionFailure
        self.condition_failure = None  # alternator.gateway.v1.ConditionFailure
        self.transaction_failure = None  # alternator.gateway.v1.TransactionFailure
        slots = {
            "error_info": error_details_pb2.ErrorInfo,
            "bad_request": error_details_pb2.BadRequest,
            "resource_info": error_details_pb2.ResourceInfo,
            "retry_info": error_details_pb2.RetryInfo,
            "precondition_failure": error_details_pb2.PreconditionFailure,
            "condition_failure": errors_pb2.ConditionFailure,
            "transaction_failure": errors_pb2.TransactionFailure,
        }
        for detail in status.details if status is not None else ():
            for attribute, message_type in slots.items():
                if detail.Is(message_type.DESCRIPTOR):
                    decoded = message_type()
                    detail.Unpack(decoded)
                    setattr(self, attribute, decoded)
                    break

    @property
    def reason(self):
        """The ErrorInfo reason (an alternator.gateway.v1.ErrorReason name), or "" without ErrorInfo."""
        return self.error_info.reason if self.error_info is not None else ""

    @classmethod
    def of(cls, error):
        """Decodes a grpc.RpcError raised by a stub call."""
        status = None
        for key, value in error.trailing_metadata() or ():
            if key == STATUS_DETAILS_KEY:
                status = status_pb2.Status.FromString(value)
        return cls(error.code(), error.details(), status)

    def __str__(self):
        return f"{self.code.name} {self.reason or '(no ErrorInfo)'}: {self.message}"


class UnexpectedError(Exception):
    """Raised by the example when a call's outcome is not the one it expected."""


def expect_error(call, code, reason):
    """Runs `call`, which must fail with `code` and ErrorInfo `reason`; returns the decoded details."""
    try:
        call()
    except grpc.RpcError as error:
        details = GatewayErrorDetails.of(error)
        if details.code != code or details.reason != reason:
            raise UnexpectedError(f"expected {code.name} {reason}, got {details}") from error
        if details.error_info.domain != GATEWAY_DOMAIN:
            raise UnexpectedError(f"ErrorInfo.domain is {details.error_info.domain!r}") from error
        return details
    raise UnexpectedError(f"expected {code.name} {reason}, but the call succeeded")
