#!/usr/bin/env ruby
# frozen_string_literal: true

# Alternator Gateway example in Ruby: every step a typical application takes, checked as it goes.
#
#   ruby example.rb                 run the walkthrough (exit status 0 only if every step went as expected)
#   ruby example.rb verify LANG...  read the shared items written by other languages' examples and compare
#                                   them with the payload this example writes (the cross-language check)
#
# Environment: ALTGW_ADDRESS (default 127.0.0.1:50051), ALTGW_CA_FILE (TLS with this CA), ALTGW_CLIENT_CERT /
# ALTGW_CLIENT_KEY (mutual TLS), ALTGW_TOKEN (bearer token), ALTGW_TABLE (default altgw_examples),
# ALTGW_RUBY_STUBS (generated stubs; default build/clients/ruby, see client/generate-stubs.sh).
ROOT = File.expand_path('../..', __dir__)
$LOAD_PATH.unshift(ENV.fetch('ALTGW_RUBY_STUBS', File.join(ROOT, 'build', 'clients', 'ruby')), __dir__)

require 'securerandom'
require 'grpc'
require 'alternator/gateway/v1/data_service_services_pb'
require 'alternator/gateway/v1/table_service_services_pb'
require 'grpc/health/v1/health_services_pb'
require 'status_details'

V1 = Alternator::Gateway::V1
Health = Grpc::Health::V1
LANGUAGE = 'ruby'
TIMEOUT = 10 # seconds: the deadline of every call

class UnexpectedResult < StandardError; end

# ---- Values: Ruby to the typed Value and back ------------------------------------------------------------
module Values
  module_function

  def s(text) = V1::Value.new(string_value: text)
  def b(*bytes) = V1::Value.new(bytes_value: bytes.pack('C*'))
  def integer(i) = V1::Value.new(number_value: V1::Number.new(integer: i))
  def decimal(text) = V1::Value.new(number_value: V1::Number.new(decimal: text))
  def bool(flag) = V1::Value.new(bool_value: flag)
  def null = V1::Value.new(null_value: :NULL_VALUE)
  def string_set(*items) = V1::Value.new(string_set: V1::StringSet.new(values: items))
  def bytes_set(*items) = V1::Value.new(bytes_set: V1::BytesSet.new(values: items.map { |x| x.pack('C*') }))
  def list(*items) = V1::Value.new(list_value: V1::ValueList.new(values: items))
  def map(fields = {}) = V1::Value.new(map_value: V1::ValueMap.new(fields: fields))

  # Integers become `integer`, Strings `decimal`.
  def number_set(*items)
    numbers = items.map { |n| n.is_a?(String) ? V1::Number.new(decimal: n) : V1::Number.new(integer: n) }
    V1::Value.new(number_set: V1::NumberSet.new(values: numbers))
  end

  # A Number as decimal text: the gateway returns `integer` when it fits in int64, else the canonical `decimal`.
  def number_text(n)
    case n.kind
    when :integer then n.integer.to_s
    when :decimal then n.decimal
    else n.float64.to_s
    end
  end

  def hex(bytes) = bytes.unpack1('H*')

  # A stable text form of a Value: sets sorted, map keys sorted, numbers as decimal text.
  def canonical(v)
    case v.kind
    when :null_value then 'NULL'
    when :bool_value then "BOOL:#{v.bool_value}"
    when :string_value then "S:#{v.string_value.dump}"
    when :bytes_value then "B:#{hex(v.bytes_value)}"
    when :number_value then "N:#{number_text(v.number_value)}"
    when :list_value then "L[#{v.list_value.values.map { |x| canonical(x) }.join(',')}]"
    when :map_value then "M{#{v.map_value.fields.sort_by { |k, _| k }.map { |k, x| "#{k.dump}=#{canonical(x)}" }.join(',')}}"
    when :string_set then "SS[#{v.string_set.values.map(&:dump).sort.join(',')}]"
    when :number_set then "NS[#{v.number_set.values.map { |n| number_text(n) }.sort.join(',')}]"
    when :bytes_set then "BS[#{v.bytes_set.values.map { |x| hex(x) }.sort.join(',')}]"
    else raise UnexpectedResult, "a Value with no kind: #{v.inspect}"
    end
  end

  # A Hash or a Google::Protobuf::Map (whose #to_h converts the values to Hashes too) of canonical texts.
  def canonical_item(item) = item.each_with_object({}) { |(name, v), result| result[name] = canonical(v) }

  def differences(expected, actual)
    want = canonical_item(expected)
    got = canonical_item(actual)
    (want.keys | got.keys).sort.reject { |n| want[n] == got[n] }.map { |n| "#{n}: expected #{want[n]} got #{got[n]}" }
  end

  # The payload every language's example writes and reads back (identical in all of them).
  def shared_item(language)
    {
      'pk' => s("xlang:#{language}"), 'sk' => integer(0),
      'text' => s('grüße, 世界 ✓'), 'empty_text' => s(''),
      'count' => integer(42), 'max' => integer(9_223_372_036_854_775_807),
      'price' => decimal('-12345.678901234567890123'), 'big' => decimal('100000000000000000000000000000'),
      'tiny' => decimal('0.000000000000000000000000000001'),
      'flag' => bool(true), 'nothing' => null,
      'blob' => b(0x00, 0xFF, 0x10, 0x80, 0x61),
      'tags' => string_set('red', 'green', 'blue'),
      'scores' => number_set(1, '2.5', -3),
      'blobs' => bytes_set([0x01], [0x02, 0x03]),
      'nested' => map('level' => integer(1),
                      'list' => list(s('a'), integer(2), bool(false), map('deep' => b(0xCA, 0xFE))),
                      'empty' => map),
      'empty_list' => list
    }
  end
end

# ---- Connection ------------------------------------------------------------------------------------------

# Adds `authorization: Bearer <token>` to every call.
class BearerToken < GRPC::ClientInterceptor
  def initialize(token)
    super()
    @header = "Bearer #{token}"
  end

  def request_response(request: nil, call: nil, method: nil, metadata: nil)
    metadata['authorization'] = @header
    yield
  end

  def server_streamer(request: nil, call: nil, method: nil, metadata: nil)
    metadata['authorization'] = @header
    yield
  end
end

# A stub whose calls all carry a deadline and raise GatewayError (with decoded details) on failure.
class Service
  def initialize(stub)
    @stub = stub
  end

  def method_missing(name, request)
    return super unless @stub.respond_to?(name)

    GatewayError.wrap { @stub.public_send(name, request, deadline: Time.now + TIMEOUT) }
  end

  def respond_to_missing?(name, include_private = false) = @stub.respond_to?(name) || super
end

def connect
  address = ENV.fetch('ALTGW_ADDRESS', '127.0.0.1:50051')
  ca_file = ENV.fetch('ALTGW_CA_FILE', '')
  token = ENV.fetch('ALTGW_TOKEN', '')
  credentials = if ca_file.empty?
                  :this_channel_is_insecure
                else
                  key, cert = %w[ALTGW_CLIENT_KEY ALTGW_CLIENT_CERT].map { |n| ENV[n] && File.read(ENV[n]) }
                  GRPC::Core::ChannelCredentials.new(File.read(ca_file), key, cert)
                end
  interceptors = token.empty? ? [] : [BearerToken.new(token)]
  puts "connect: #{address} (#{ca_file.empty? ? 'plaintext' : 'TLS'}, #{token.empty? ? 'no token' : 'bearer token'})"
  channel = GRPC::Core::Channel.new(address, {}, credentials)
  stub = ->(klass) { Service.new(klass.new(address, credentials, channel_override: channel, interceptors: interceptors)) }
  yield data: stub.call(V1::DataService::Stub), tables: stub.call(V1::TableService::Stub),
        health: stub.call(Health::Health::Stub)
ensure
  channel&.close
end

# ---- The walkthrough -------------------------------------------------------------------------------------
class Walkthrough
  include Values

  def initialize(data:, tables:, health:)
    @data = data
    @tables = tables
    @health = health
    @table = ENV.fetch('ALTGW_TABLE', 'altgw_examples')
  end

  def check(condition, what)
    raise UnexpectedResult, what unless condition
  end

  # The block must fail with this code and ErrorInfo reason; returns the GatewayError.
  def expect_error(code_name, reason)
    yield
  rescue GatewayError => e
    check(e.code_name == code_name && e.reason == reason, "expected #{code_name} #{reason}, got #{e.message}")
    check(e.error_info.domain == GatewayError::DOMAIN, "ErrorInfo.domain is '#{e.error_info.domain}'")
    e
  else
    raise UnexpectedResult, "expected #{code_name} #{reason}, but the call succeeded"
  end

  # Yields every page of a query, following the page tokens until there are no more.
  def each_page(request)
    loop do
      reply = @data.query(request)
      yield reply
      break if reply.next_page_token.empty?

      request = request.dup
      request.page_token = reply.next_page_token
    end
  end

  def health_step
    ['', 'alternator.gateway.v1.DataService'].each do |service|
      reply = @health.check(Health::HealthCheckRequest.new(service: service))
      puts "health \"#{service}\": #{reply.status}"
      check(reply.status == :SERVING, "health \"#{service}\" is #{reply.status}")
    rescue GatewayError => e
      if e.code == GRPC::Core::StatusCodes::UNIMPLEMENTED
        puts "health \"#{service}\": note: this gateway does not serve grpc.health.v1 (UNIMPLEMENTED)"
        break
      end
      raise unless e.code == GRPC::Core::StatusCodes::NOT_FOUND && !service.empty?

      puts "health \"#{service}\": note: this gateway reports no per-service health (NOT_FOUND)"
    end
  end

  def create_table_step
    @tables.create_table(V1::CreateTableRequest.new(
                           table: @table,
                           partition_key: V1::KeyAttribute.new(name: 'pk', type: :SCALAR_TYPE_STRING),
                           sort_key: V1::KeyAttribute.new(name: 'sk', type: :SCALAR_TYPE_NUMBER)
                         ))
    puts "create table: #{@table} created"
  rescue GatewayError => e
    raise unless e.reason == 'TABLE_ALREADY_EXISTS'

    puts "create table: #{@table} exists already (ALREADY_EXISTS / TABLE_ALREADY_EXISTS)"
  end

  def order(partition, n)
    {
      'pk' => s(partition), 'sk' => integer(n),
      'name' => s("item #{n}"), 'qty' => integer(n), 'price' => decimal("#{n}.25"),
      'tags' => string_set(n.odd? ? 'odd' : 'even', 'example'),
      'blob' => b(n, 0xFF),
      'dims' => map('w' => integer(10 * n), 'h' => decimal('2.5')),
      'history' => list(s('created'), bool(true), null)
    }
  end

  def get(key) = @data.get(V1::GetRequest.new(table: @table, key: key, consistent_read: true))

  def run
    health_step
    create_table_step

    partition = "#{LANGUAGE}-#{Time.now.to_i}-#{SecureRandom.hex(4)}"
    key = ->(n) { { 'pk' => s(partition), 'sk' => integer(n) } }
    (1..5).each { |n| @data.put(V1::PutRequest.new(table: @table, item: order(partition, n))) }
    puts "put: 5 items in partition #{partition}"

    got = get(key.call(3))
    check(got.found, 'get: item 3 not found')
    diff = differences(order(partition, 3), got.item)
    check(diff.empty?, "get: item 3 differs: #{diff.join('; ')}")
    puts "get: sk=3 found, qty=#{number_text(got.item['qty'].number_value)}, " \
         "price=#{number_text(got.item['price'].number_value)}, tags=#{got.item['tags'].string_set.values.to_a.sort}"

    pages = []
    keys = []
    each_page(V1::QueryRequest.new(table: @table, partition_key: s(partition), page_size: 2,
                                   consistent_read: true)) do |page|
      pages << page.items.size
      keys.concat(page.items.map { |item| number_text(item.attributes['sk'].number_value) })
    end
    check(keys == %w[1 2 3 4 5], "query: expected sort keys 1..5 in order, got #{keys}")
    puts "query: #{keys.size} items in #{pages.size} pages (page sizes #{pages.join(',')})"

    exists = V1::Condition.new(attribute_exists: 'pk')
    not_exists = V1::Condition.new(attribute_not_exists: 'pk')
    @data.transaction(V1::TransactionRequest.new(operations: [
      V1::TransactionOperation.new(update: V1::TransactUpdate.new(
        table: @table, key: key.call(1), condition: exists, actions: [
          V1::UpdateAction.new(increment: V1::Increment.new(path: 'qty', delta: V1::Number.new(integer: 1))),
          V1::UpdateAction.new(set: V1::PathValue.new(path: 'status', value: s('shipped')))
        ]
      )),
      V1::TransactionOperation.new(put: V1::TransactPut.new(
        table: @table, condition: not_exists,
        item: key.call(100).merge('kind' => s('audit'), 'note' => s('order 1 shipped'))
      )),
      V1::TransactionOperation.new(condition_check: V1::TransactConditionCheck.new(
        table: @table, key: key.call(2),
        condition: V1::Condition.new(comparison: V1::Comparison.new(path: 'qty', comparator: :COMPARATOR_EQUAL,
                                                                    value: integer(2)))
      ))
    ]))
    item1 = get(key.call(1)).item
    check(number_text(item1['qty'].number_value) == '2' && item1['status'].string_value == 'shipped',
          "transaction: item 1 is #{item1.inspect}")
    check(get(key.call(100)).found, 'transaction: the audit item was not written')
    puts 'transaction: committed 3 operations (update sk=1 qty=2 status=shipped, put sk=100, check sk=2)'

    # A write whose condition is false: FAILED_PRECONDITION, ErrorInfo.reason CONDITION_FAILED, and (asked for
    # with return_item_on_condition_failure) the current item in a ConditionFailure detail.
    error = expect_error('FAILED_PRECONDITION', 'CONDITION_FAILED') do
      @data.put(V1::PutRequest.new(table: @table, item: order(partition, 1), condition: not_exists,
                                   return_item_on_condition_failure: true))
    end
    failure = error.condition_failure
    check(failure&.item_exists && number_text(failure.item['qty'].number_value) == '2',
          "condition failure: ConditionFailure detail is #{failure.inspect}")
    puts "condition failure: #{error.code_name} reason=#{error.reason} " \
         "current qty=#{number_text(failure.item['qty'].number_value)}"

    # The same in a transaction: the TransactionFailure detail says which operation failed.
    error = expect_error('FAILED_PRECONDITION', 'CONDITION_FAILED') do
      @data.transaction(V1::TransactionRequest.new(operations: [
        V1::TransactionOperation.new(condition_check: V1::TransactConditionCheck.new(
          table: @table, key: key.call(2), condition: exists
        )),
        V1::TransactionOperation.new(put: V1::TransactPut.new(
          table: @table, condition: not_exists, item: key.call(100).merge('kind' => s('audit'))
        ))
      ]))
    end
    reasons = error.transaction_failure ? error.transaction_failure.operations.map(&:reason) : []
    check(reasons == ['', 'CONDITION_FAILED'], "transaction failure: operation reasons #{reasons}")
    puts "transaction failure: #{error.code_name} reason=#{error.reason} operations[1]=#{reasons[1]}"

    @data.put(V1::PutRequest.new(table: @table, item: shared_item(LANGUAGE)))
    verify_shared(LANGUAGE)
  end

  def verify_shared(owner)
    got = get('pk' => s("xlang:#{owner}"), 'sk' => integer(0))
    check(got.found, "shared item of #{owner}: not found")
    diff = differences(shared_item(owner), got.item)
    check(diff.empty?, "shared item of #{owner} differs: #{diff.join('; ')}")
    puts "shared item xlang:#{owner}: equal (#{got.item.length} attributes)"
  end
end

def main(args)
  connect do |services|
    walkthrough = Walkthrough.new(**services)
    if args.first == 'verify'
      args.drop(1).each { |owner| walkthrough.verify_shared(owner) }
    else
      walkthrough.run
    end
  end
  puts 'OK'
  0
rescue UnexpectedResult => e
  warn "FAILED: #{e.message}"
  1
rescue GatewayError => e
  warn "FAILED: unexpected gRPC error #{e.message}"
  1
end

exit(main(ARGV))
