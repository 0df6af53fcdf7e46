package main

// Decoding the gateway's rich errors. grpc-go's status package already parses the google.rpc.Status of the
// `grpc-status-details-bin` trailer; Details() unpacks each google.protobuf.Any into its Go type (the
// gateway's own detail types are registered by importing the generated gatewayv1 package).

import (
	"errors"
	"fmt"

	gatewayv1 "alternator-gateway/gen/go/alternator/gateway/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// GatewayDomain is ErrorInfo.domain of every error raised by the gateway.
const GatewayDomain = "alternator-gateway"

// GatewayError is a failed call with its typed details (nil when the error did not carry them).
type GatewayError struct {
	Code                codes.Code
	Message             string
	ErrorInfo           *errdetails.ErrorInfo
	BadRequest          *errdetails.BadRequest
	ResourceInfo        *errdetails.ResourceInfo
	RetryInfo           *errdetails.RetryInfo
	PreconditionFailure *errdetails.PreconditionFailure
	ConditionFailure    *gatewayv1.ConditionFailure
	TransactionFailure  *gatewayv1.TransactionFailure
}

// Reason is ErrorInfo.reason (an ErrorReason name), or "" when the error carries no ErrorInfo.
func (e *GatewayError) Reason() string {
	if e.ErrorInfo == nil {
		return ""
	}
	return e.ErrorInfo.GetReason()
}

func (e *GatewayError) Error() string {
	reason := e.Reason()
	if reason == "" {
		reason = "(no ErrorInfo)"
	}
	return fmt.Sprintf("%s %s: %s", e.Code, reason, e.Message)
}

// AsGatewayError decodes the status of an error returned by a stub call; ok is false for errors that are
// not gRPC statuses.
func AsGatewayError(err error) (*GatewayError, bool) {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return nil, false
	}
	result := &GatewayError{Code: st.Code(), Message: st.Message()}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			result.ErrorInfo = d
		case *errdetails.BadRequest:
			result.BadRequest = d
		case *errdetails.ResourceInfo:
			result.ResourceInfo = d
		case *errdetails.RetryInfo:
			result.RetryInfo = d
		case *errdetails.PreconditionFailure:
			result.PreconditionFailure = d
		case *gatewayv1.ConditionFailure:
			result.ConditionFailure = d
		case *gatewayv1.TransactionFailure:
			result.TransactionFailure = d
		}
	}
	return result, true
}

// ExpectError checks that err is a gateway error with the given code and ErrorInfo reason.
func ExpectError(err error, code codes.Code, reason string) (*GatewayError, error) {
	if err == nil {
		return nil, fmt.Errorf("expected %s %s, but the call succeeded", code, reason)
	}
	gerr, ok := AsGatewayError(err)
	if !ok {
		return nil, fmt.Errorf("expected %s %s, got %w", code, reason, err)
	}
	if gerr.Code != code || gerr.Reason() != reason {
		return nil, fmt.Errorf("expected %s %s, got %w", code, reason, gerr)
	}
	if gerr.ErrorInfo.GetDomain() != GatewayDomain {
		return nil, fmt.Errorf("ErrorInfo.domain is %q", gerr.ErrorInfo.GetDomain())
	}
	return gerr, nil
}

// HasReason reports whether err is a gateway error with this ErrorInfo reason.
func HasReason(err error, reason string) bool {
	var gerr *GatewayError
	if errors.As(err, &gerr) {
		return gerr.Reason() == reason
	}
	decoded, ok := AsGatewayError(err)
	return ok && decoded.Reason() == reason
}
