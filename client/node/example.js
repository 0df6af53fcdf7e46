#!/usr/bin/env node
'use strict';
// Alternator Gateway example in Node.js: every step a typical application takes, checked as it goes.
//
//   node example.js                 run the walkthrough (exit status 0 only if every step went as expected)
//   node example.js verify LANG...  read the shared items written by other languages' examples and compare
//                                   them with the payload this example writes (the cross-language check)
//
// Environment: ALTGW_ADDRESS (default 127.0.0.1:50051), ALTGW_CA_FILE (TLS with this CA), ALTGW_CLIENT_CERT /
// ALTGW_CLIENT_KEY (mutual TLS), ALTGW_TOKEN (bearer token), ALTGW_TABLE (default altgw_examples),
// ALTGW_PROTO_PATH (folders holding the .proto files, ':'-separated; default: this repository's proto/ and
// /usr/share/grpc-proto for grpc.health.v1). Dependencies: NODE_PATH=build/clients/node/node_modules, or
// `npm ci` in this folder.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { GatewayError, GATEWAY_DOMAIN } = require('./status-details');

const LANGUAGE = 'node';
const TIMEOUT_MS = 10000;  // the deadline of every call
const INCLUDE_DIRS = (process.env.ALTGW_PROTO_PATH ||
                      [path.join(__dirname, '..', '..', 'proto'), '/usr/share/grpc-proto'].join(':')).split(':');

// The .proto files are loaded at run time: field names as written in them (keepCase), int64 as strings (no
// precision loss), enums as names, bytes as Buffers, and a `kind` property naming the field set in a oneof.
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, bytes: Buffer, oneofs: true,
                         includeDirs: INCLUDE_DIRS };
const definition = grpc.loadPackageDefinition(protoLoader.loadSync(
    ['alternator/gateway/v1/data_service.proto', 'alternator/gateway/v1/table_service.proto',
     'grpc/health/v1/health.proto'], LOADER_OPTIONS));
const v1 = definition.alternator.gateway.v1;
const Health = definition.grpc.health.v1.Health;

class UnexpectedResult extends Error {}

// ---- Values: JavaScript to the typed Value and back -----------------------------------------------------
const s = (text) => ({ string_value: text });
const b = (...bytes) => ({ bytes_value: Buffer.from(bytes) });
const integer = (i) => ({ number_value: { integer: String(i) } });  // strings keep all 64 bits
const decimal = (text) => ({ number_value: { decimal: text } });
const bool = (flag) => ({ bool_value: flag });
const nullValue = () => ({ null_value: 'NULL_VALUE' });
const stringSet = (...items) => ({ string_set: { values: items } });
const numberSet = (...items) => ({ number_set: { values: items.map(
    (n) => (typeof n === 'number' ? { integer: String(n) } : { decimal: n })) } });
const bytesSet = (...items) => ({ bytes_set: { values: items.map((x) => Buffer.from(x)) } });
const list = (...items) => ({ list_value: { values: items } });
const map = (fields) => ({ map_value: { fields } });

// A Number as decimal text: the gateway returns `integer` when it fits in int64, else the canonical `decimal`.
function numberText(n) {
  if (n.integer !== undefined && n.integer !== null) return String(n.integer);
  if (n.decimal !== undefined && n.decimal !== null) return n.decimal;
  return String(n.float64);
}

// The field set in a Value, for values built here (no `kind`) and values read (with `kind`).
const kindOf = (v) => v.kind || Object.keys(v).find((k) => v[k] !== undefined && v[k] !== null);

// A stable text form of a Value: sets sorted, map keys sorted, numbers as decimal text.
function canonical(v) {
  const kind = kindOf(v);
  const x = v[kind];
  const sorted = (items) => `[${[...items].sort().join(',')}]`;
  switch (kind) {
    case 'null_value': return 'NULL';
    case 'bool_value': return `BOOL:${x}`;
    case 'string_value': return `S:${JSON.stringify(x)}`;
    case 'bytes_value': return `B:${Buffer.from(x).toString('hex')}`;
    case 'number_value': return `N:${numberText(x)}`;
    case 'list_value': return `L[${(x.values || []).map(canonical).join(',')}]`;
    case 'map_value': {
      const fields = x.fields || {};
      return `M{${Object.keys(fields).sort().map((k) => `${JSON.stringify(k)}=${canonical(fields[k])}`).join(',')}}`;
    }
    case 'string_set': return `SS${sorted((x.values || []).map((t) => JSON.stringify(t)))}`;
    case 'number_set': return `NS${sorted((x.values || []).map(numberText))}`;
    case 'bytes_set': return `BS${sorted((x.values || []).map((y) => Buffer.from(y).toString('hex')))}`;
    default: throw new UnexpectedResult(`a Value with no kind: ${JSON.stringify(v)}`);
  }
}

function differences(expected, actual) {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const text = (item, name) => (item[name] ? canonical(item[name]) : undefined);
  return names.filter((n) => text(expected, n) !== text(actual, n))
      .map((n) => `${n}: expected ${text(expected, n)} got ${text(actual, n)}`);
}

// The payload every language's example writes and reads back (identical in all of them).
function sharedItem(language) {
  return {
    pk: s(`xlang:${language}`), sk: integer(0),
    text: s('grüße, 世界 ✓'), empty_text: s(''),
    count: integer(42), max: integer('9223372036854775807'),
    price: decimal('-12345.678901234567890123'), big: decimal('100000000000000000000000000000'),
    tiny: decimal('0.000000000000000000000000000001'),
    flag: bool(true), nothing: nullValue(),
    blob: b(0x00, 0xFF, 0x10, 0x80, 0x61),
    tags: stringSet('red', 'green', 'blue'),
    scores: numberSet(1, '2.5', -3),
    blobs: bytesSet([0x01], [0x02, 0x03]),
    nested: map({ level: integer(1), list: list(s('a'), integer(2), bool(false), map({ deep: b(0xCA, 0xFE) })),
                  empty: map({}) }),
    empty_list: list(),
  };
}

// ---- Connection: promises over the callback stubs ------------------------------------------------------

// Adds `authorization: Bearer <token>` to every call.
function bearerToken(token) {
  return (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('authorization', `Bearer ${token}`);
      next(metadata, listener);
    },
  });
}

function connect() {
  const address = process.env.ALTGW_ADDRESS || '127.0.0.1:50051';
  const caFile = process.env.ALTGW_CA_FILE;
  const token = process.env.ALTGW_TOKEN;
  const read = (file) => (file ? fs.readFileSync(file) : null);
  const credentials = caFile
    ? grpc.credentials.createSsl(read(caFile), read(process.env.ALTGW_CLIENT_KEY), read(process.env.ALTGW_CLIENT_CERT))
    : grpc.credentials.createInsecure();
  const options = token ? { interceptors: [bearerToken(token)] } : {};
  console.log(`connect: ${address} (${caFile ? 'TLS' : 'plaintext'}, ${token ? 'bearer token' : 'no token'})`);
  // One channel shared by the three services.
  const data = new v1.DataService(address, credentials, options);
  const channelOverride = { ...options, channelOverride: data.getChannel() };
  return {
    data: promisify(data),
    tables: promisify(new v1.TableService(address, credentials, channelOverride)),
    health: promisify(new Health(address, credentials, channelOverride)),
    close: () => data.close(),
  };
}

// client.Method(request) -> Promise of the reply, rejected with a GatewayError; every call has a deadline.
function promisify(client) {
  return new Proxy({}, {
    get: (target, method) => (request) => new Promise((resolve, reject) => {
      client[method](request, { deadline: Date.now() + TIMEOUT_MS }, (error, reply) => {
        if (error) reject(new GatewayError(error, INCLUDE_DIRS));
        else resolve(reply);
      });
    }),
  });
}

function check(condition, what) {
  if (!condition) throw new UnexpectedResult(what);
}

// The call must fail with this gRPC code and ErrorInfo reason; returns the GatewayError.
async function expectError(promise, codeName, reason) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    check(error.codeName === codeName && error.reason === reason,
          `expected ${codeName} ${reason}, got ${error.message}`);
    check(error.errorInfo.domain === GATEWAY_DOMAIN, `ErrorInfo.domain is '${error.errorInfo.domain}'`);
    return error;
  }
  throw new UnexpectedResult(`expected ${codeName} ${reason}, but the call succeeded`);
}

// ---- The walkthrough -----------------------------------------------------------------------------------

async function healthStep(health) {
  for (const service of ['', 'alternator.gateway.v1.DataService']) {
    let reply;
    try {
      reply = await health.Check({ service });
    } catch (error) {
      if (error.code === grpc.status.UNIMPLEMENTED) {
        console.log(`health "${service}": note: this gateway does not serve grpc.health.v1 (UNIMPLEMENTED)`);
        return;
      }
      if (error.code === grpc.status.NOT_FOUND && service) {
        console.log(`health "${service}": note: this gateway reports no per-service health (NOT_FOUND)`);
        continue;
      }
      throw error;
    }
    console.log(`health "${service}": ${reply.status}`);
    check(reply.status === 'SERVING', `health "${service}" is ${reply.status}`);
  }
}

async function createTableStep(tables, table) {
  try {
    await tables.CreateTable({
      table,
      partition_key: { name: 'pk', type: 'SCALAR_TYPE_STRING' },
      sort_key: { name: 'sk', type: 'SCALAR_TYPE_NUMBER' },
    });
    console.log(`create table: ${table} created`);
  } catch (error) {
    if (error.reason !== 'TABLE_ALREADY_EXISTS') throw error;
    console.log(`create table: ${table} exists already (ALREADY_EXISTS / TABLE_ALREADY_EXISTS)`);
  }
}

function order(partition, n) {
  return {
    pk: s(partition), sk: integer(n),
    name: s(`item ${n}`), qty: integer(n), price: decimal(`${n}.25`),
    tags: stringSet(n % 2 ? 'odd' : 'even', 'example'),
    blob: b(n, 0xFF),
    dims: map({ w: integer(10 * n), h: decimal('2.5') }),
    history: list(s('created'), bool(true), nullValue()),
  };
}

async function walkthrough({ data, tables, health }, table) {
  await healthStep(health);
  await createTableStep(tables, table);

  const partition = `${LANGUAGE}-${Math.floor(Date.now() / 1000)}-${crypto.randomBytes(4).toString('hex')}`;
  const key = (n) => ({ pk: s(partition), sk: integer(n) });
  for (let n = 1; n <= 5; n++) await data.Put({ table, item: order(partition, n) });
  console.log(`put: 5 items in partition ${partition}`);

  const got = await data.Get({ table, key: key(3), consistent_read: true });
  check(got.found, 'get: item 3 not found');
  const diff = differences(order(partition, 3), got.item);
  check(diff.length === 0, `get: item 3 differs: ${diff.join('; ')}`);
  console.log(`get: sk=3 found, qty=${numberText(got.item.qty.number_value)}, ` +
              `price=${numberText(got.item.price.number_value)}, tags=${[...got.item.tags.string_set.values].sort()}`);

  const pages = [];
  const keys = [];
  let pageToken = '';
  do {
    const reply = await data.Query({ table, partition_key: s(partition), page_size: 2, page_token: pageToken,
                                     consistent_read: true });
    pages.push(reply.items.length);
    for (const item of reply.items) keys.push(numberText(item.attributes.sk.number_value));
    pageToken = reply.next_page_token;
  } while (pageToken);
  check(keys.join(',') === '1,2,3,4,5', `query: expected sort keys 1..5 in order, got ${keys}`);
  console.log(`query: ${keys.length} items in ${pages.length} pages (page sizes ${pages.join(',')})`);

  const exists = { attribute_exists: 'pk' };
  const notExists = { attribute_not_exists: 'pk' };
  await data.Transaction({ operations: [
    { update: { table, key: key(1), condition: exists, actions: [
      { increment: { path: 'qty', delta: { integer: '1' } } },
      { set: { path: 'status', value: s('shipped') } }] } },
    { put: { table, condition: notExists, item: { ...key(100), kind: s('audit'), note: s('order 1 shipped') } } },
    { condition_check: { table, key: key(2), condition: {
      comparison: { path: 'qty', comparator: 'COMPARATOR_EQUAL', value: integer(2) } } } },
  ] });
  const item1 = (await data.Get({ table, key: key(1), consistent_read: true })).item;
  check(numberText(item1.qty.number_value) === '2' && item1.status.string_value === 'shipped',
        `transaction: item 1 is ${JSON.stringify(item1)}`);
  check((await data.Get({ table, key: key(100), consistent_read: true })).found,
        'transaction: the audit item was not written');
  console.log('transaction: committed 3 operations (update sk=1 qty=2 status=shipped, put sk=100, check sk=2)');

  // A write whose condition is false: FAILED_PRECONDITION, ErrorInfo.reason CONDITION_FAILED, and (asked for
  // with return_item_on_condition_failure) the current item in a ConditionFailure detail.
  let error = await expectError(data.Put({ table, item: order(partition, 1), condition: notExists,
                                           return_item_on_condition_failure: true }),
                                'FAILED_PRECONDITION', 'CONDITION_FAILED');
  const failure = error.conditionFailure;
  check(failure && failure.item_exists && numberText(failure.item.qty.number_value) === '2',
        `condition failure: ConditionFailure detail is ${JSON.stringify(failure)}`);
  console.log(`condition failure: ${error.codeName} reason=${error.reason} ` +
              `current qty=${numberText(failure.item.qty.number_value)}`);

  // The same in a transaction: the TransactionFailure detail says which operation failed.
  error = await expectError(data.Transaction({ operations: [
    { condition_check: { table, key: key(2), condition: exists } },
    { put: { table, condition: notExists, item: { ...key(100), kind: s('audit') } } },
  ] }), 'FAILED_PRECONDITION', 'CONDITION_FAILED');
  const reasons = ((error.transactionFailure || {}).operations || []).map((op) => op.reason || '');
  check(reasons.join('|') === '|CONDITION_FAILED', `transaction failure: operation reasons ${JSON.stringify(reasons)}`);
  console.log(`transaction failure: ${error.codeName} reason=${error.reason} operations[1]=${reasons[1]}`);

  await data.Put({ table, item: sharedItem(LANGUAGE) });
  await verifyShared(data, table, LANGUAGE);
}

async function verifyShared(data, table, owner) {
  const got = await data.Get({ table, key: { pk: s(`xlang:${owner}`), sk: integer(0) }, consistent_read: true });
  check(got.found, `shared item of ${owner}: not found`);
  const diff = differences(sharedItem(owner), got.item);
  check(diff.length === 0, `shared item of ${owner} differs: ${diff.join('; ')}`);
  console.log(`shared item xlang:${owner}: equal (${Object.keys(got.item).length} attributes)`);
}

async function main(args) {
  const clients = connect();
  const table = process.env.ALTGW_TABLE || 'altgw_examples';
  try {
    if (args[0] === 'verify') {
      for (const owner of args.slice(1)) await verifyShared(clients.data, table, owner);
    } else {
      await walkthrough(clients, table);
    }
    console.log('OK');
    return 0;
  } catch (error) {
    if (error instanceof UnexpectedResult) console.error(`FAILED: ${error.message}`);
    else if (error instanceof GatewayError) console.error(`FAILED: unexpected gRPC error ${error.message}`);
    else throw error;
    return 1;
  } finally {
    clients.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
  console.error(`FAILED: ${error.stack || error}`);
  process.exitCode = 1;
});
