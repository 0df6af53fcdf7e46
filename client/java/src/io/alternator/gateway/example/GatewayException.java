package io.alternator.gateway.example;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.alternator.gateway.v1.ConditionFailure;
import io.alternator.gateway.v1.TransactionFailure;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;

/**
 * A failed gateway call with its typed error details, decoded from the google.rpc.Status that the gateway
 * sends in the {@code grpc-status-details-bin} trailer (see proto/alternator/gateway/v1/errors.proto).
 *
 * <pre>
 * try {
 *   data.put(request);
 * } catch (StatusRuntimeException e) {
 *   GatewayException error = GatewayException.from(e);
 *   if (error.reason().equals("CONDITION_FAILED")) { ... }
 * }
 * </pre>
 */
public final class GatewayException extends RuntimeException {
  public static final String DOMAIN = "alternator-gateway";
  private static final Metadata.Key<byte[]> STATUS_DETAILS_KEY =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

  private final Status.Code code;
  private final com.google.rpc.Status status;

  private GatewayException(StatusRuntimeException cause, com.google.rpc.Status status) {
    super(cause.getStatus().getCode() + " " + reasonOf(status) + ": " + cause.getStatus().getDescription(), cause);
    this.code = cause.getStatus().getCode();
    this.status = status;
  }

  /** Decodes the details of a failed stub call. */
  public static GatewayException from(StatusRuntimeException e) {
    com.google.rpc.Status status = com.google.rpc.Status.getDefaultInstance();
    Metadata trailers = e.getTrailers();
    byte[] encoded = trailers == null ? null : trailers.get(STATUS_DETAILS_KEY);
    if (encoded != null) {
      try {
        status = com.google.rpc.Status.parseFrom(encoded);
      } catch (InvalidProtocolBufferException bad) {
        // Not a google.rpc.Status: keep the bare gRPC status.
      }
    }
    return new GatewayException(e, status);
  }

  public Status.Code code() {
    return code;
  }

  /** ErrorInfo.reason (an ErrorReason name), or "" when the error carries no ErrorInfo. */
  public String reason() {
    return reasonOf(status);
  }

  public Optional<ErrorInfo> errorInfo() {
    return detail(status, ErrorInfo.class);
  }

  public Optional<BadRequest> badRequest() {
    return detail(status, BadRequest.class);
  }

  public Optional<ResourceInfo> resourceInfo() {
    return detail(status, ResourceInfo.class);
  }

  public Optional<RetryInfo> retryInfo() {
    return detail(status, RetryInfo.class);
  }

  public Optional<PreconditionFailure> preconditionFailure() {
    return detail(status, PreconditionFailure.class);
  }

  public Optional<ConditionFailure> conditionFailure() {
    return detail(status, ConditionFailure.class);
  }

  public Optional<TransactionFailure> transactionFailure() {
    return detail(status, TransactionFailure.class);
  }

  private static String reasonOf(com.google.rpc.Status status) {
    return detail(status, ErrorInfo.class).map(ErrorInfo::getReason).orElse("");
  }

  private static <T extends Message> Optional<T> detail(com.google.rpc.Status status, Class<T> type) {
    for (Any any : status.getDetailsList()) {
      if (any.is(type)) {
        try {
          return Optional.of(any.unpack(type));
        } catch (InvalidProtocolBufferException bad) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
