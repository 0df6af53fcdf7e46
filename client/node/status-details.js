'use strict';
// Decoding the gateway's rich errors: the google.rpc.Status in the `grpc-status-details-bin` trailer.
//
//   try { await data.put(request); }
//   catch (error) { if (error instanceof GatewayError && error.reason === 'CONDITION_FAILED') { ... } }
//
// Every failed call carries one google.rpc.ErrorInfo (domain "alternator-gateway"; branch on its `reason`),
// plus BadRequest, ResourceInfo, RetryInfo, PreconditionFailure, ConditionFailure or TransactionFailure where
// they apply (proto/alternator/gateway/v1/errors.proto).
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const GATEWAY_DOMAIN = 'alternator-gateway';
// The same conversion options as the stubs (see example.js): field names as in the .proto files.
const OBJECT_OPTIONS = { longs: String, enums: String, bytes: Buffer, oneofs: true };

let detailTypes = null;

// Loads google.rpc and the gateway's error messages once, from the .proto files (include paths as for the stubs).
function loadDetailTypes(includeDirs) {
  if (detailTypes) return detailTypes;
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;  // google/protobuf/*.proto: bundled with protobufjs
  };
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto',
                 'alternator/gateway/v1/errors.proto'], { keepCase: true });
  detailTypes = {
    status: root.lookupType('google.rpc.Status'),
    byName: {
      'google.rpc.ErrorInfo': 'errorInfo',
      'google.rpc.BadRequest': 'badRequest',
      'google.rpc.ResourceInfo': 'resourceInfo',
      'google.rpc.RetryInfo': 'retryInfo',
      'google.rpc.PreconditionFailure': 'preconditionFailure',
      'alternator.gateway.v1.ConditionFailure': 'conditionFailure',
      'alternator.gateway.v1.TransactionFailure': 'transactionFailure',
    },
    root,
  };
  return detailTypes;
}

// A failed call with its typed details (each detail property is undefined when the error did not carry it).
class GatewayError extends Error {
  constructor(serviceError, includeDirs) {
    const types = loadDetailTypes(includeDirs);
    const details = {};
    const encoded = serviceError.metadata ? serviceError.metadata.get(STATUS_DETAILS_KEY) : [];
    if (encoded.length > 0) {
      const status = types.status.decode(encoded[0]);
      for (const any of status.details) {
        const typeName = any.type_url.substring(any.type_url.lastIndexOf('/') + 1);
        const property = types.byName[typeName];
        if (property) {
          const type = types.root.lookupType(typeName);
          details[property] = type.toObject(type.decode(any.value), OBJECT_OPTIONS);
        }
      }
    }
    const reason = details.errorInfo ? details.errorInfo.reason : '';
    super(`${codeName(serviceError.code)} ${reason || '(no ErrorInfo)'}: ${serviceError.details}`);
    this.name = 'GatewayError';
    this.code = serviceError.code;        // grpc.status.*
    this.codeName = codeName(serviceError.code);
    this.reason = reason;                 // an ErrorReason name, or ''
    this.serviceError = serviceError;
    Object.assign(this, details);
  }
}

function codeName(code) {
  return Object.keys(grpc.status).find((name) => grpc.status[name] === code) || String(code);
}

module.exports = { GatewayError, GATEWAY_DOMAIN, STATUS_DETAILS_KEY, codeName };
