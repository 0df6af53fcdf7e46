// Alternator Gateway example in Go: every step a typical application takes, checked as it goes.
//
//	altgw-example-go                 run the walkthrough (exit status 0 only if every step went as expected)
//	altgw-example-go verify LANG...  read the shared items written by other languages' examples and compare
//	                                 them with the payload this example writes (the cross-language check)
//
// Environment: ALTGW_ADDRESS (default 127.0.0.1:50051), ALTGW_CA_FILE (use TLS with this CA),
// ALTGW_CLIENT_CERT/ALTGW_CLIENT_KEY (mutual TLS), ALTGW_TOKEN (bearer token), ALTGW_TABLE (default
// altgw_examples). Build it with client/generate-stubs.sh go.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	gatewayv1 "alternator-gateway/gen/go/alternator/gateway/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const language = "go"

// callTimeout is the deadline of every call.
const callTimeout = 10 * time.Second

// bearerToken sends `authorization: Bearer <token>` with every call.
type bearerToken struct {
	token string
}

func (t bearerToken) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.token}, nil
}

// RequireTransportSecurity is false so that the example also works against a local plaintext gateway; a
// production client should require TLS.
func (t bearerToken) RequireTransportSecurity() bool { return false }

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func connect() (*grpc.ClientConn, error) {
	address := getenv("ALTGW_ADDRESS", "127.0.0.1:50051")
	var options []grpc.DialOption
	mode, tokenMode := "plaintext", "no token"
	if caFile := os.Getenv("ALTGW_CA_FILE"); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", caFile)
		}
		config := &tls.Config{RootCAs: roots}
		if certFile := os.Getenv("ALTGW_CLIENT_CERT"); certFile != "" {
			pair, err := tls.LoadX509KeyPair(certFile, os.Getenv("ALTGW_CLIENT_KEY"))
			if err != nil {
				return nil, err
			}
			config.Certificates = []tls.Certificate{pair}
		}
		options = append(options, grpc.WithTransportCredentials(credentials.NewTLS(config)))
		mode = "TLS"
	} else {
		options = append(options, grpc.WithInsecure())
	}
	if token := os.Getenv("ALTGW_TOKEN"); token != "" {
		options = append(options, grpc.WithPerRPCCredentials(bearerToken{token: token}))
		tokenMode = "bearer token"
	}
	conn, err := grpc.Dial(address, options...)
	if err != nil {
		return nil, err
	}
	fmt.Printf("connect: %s (%s, %s)\n", address, mode, tokenMode)
	return conn, nil
}

func call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

func healthStep(conn *grpc.ClientConn) error {
	health := healthpb.NewHealthClient(conn)
	for _, service := range []string{"", "alternator.gateway.v1.DataService"} {
		ctx, cancel := call()
		reply, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		cancel()
		if gerr, ok := AsGatewayError(err); err != nil && ok && gerr.Code == codes.Unimplemented {
			fmt.Printf("health %q: note: this gateway does not serve grpc.health.v1 (UNIMPLEMENTED)\n", service)
			return nil
		} else if err != nil && ok && gerr.Code == codes.NotFound && service != "" {
			fmt.Printf("health %q: note: this gateway reports no per-service health (NOT_FOUND)\n", service)
			continue
		} else if err != nil {
			return fmt.Errorf("health %q: %w", service, err)
		}
		fmt.Printf("health %q: %s\n", service, reply.GetStatus())
		if reply.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health %q is %s", service, reply.GetStatus())
		}
	}
	return nil
}

func createTableStep(tables gatewayv1.TableServiceClient, table string) error {
	ctx, cancel := call()
	defer cancel()
	_, err := tables.CreateTable(ctx, &gatewayv1.CreateTableRequest{
		Table:        table,
		PartitionKey: &gatewayv1.KeyAttribute{Name: "pk", Type: gatewayv1.ScalarType_SCALAR_TYPE_STRING},
		SortKey:      &gatewayv1.KeyAttribute{Name: "sk", Type: gatewayv1.ScalarType_SCALAR_TYPE_NUMBER},
	})
	switch {
	case err == nil:
		fmt.Printf("create table: %s created\n", table)
	case HasReason(err, "TABLE_ALREADY_EXISTS"):
		fmt.Printf("create table: %s exists already (ALREADY_EXISTS / TABLE_ALREADY_EXISTS)\n", table)
	default:
		return fmt.Errorf("create table: %w", err)
	}
	return nil
}

func order(partition string, n int64) Item {
	parity := "even"
	if n%2 == 1 {
		parity = "odd"
	}
	return Item{
		"pk": S(partition), "sk": Integer(n),
		"name": S(fmt.Sprintf("item %d", n)), "qty": Integer(n), "price": Decimal(fmt.Sprintf("%d.25", n)),
		"tags":    StringSet(parity, "example"),
		"blob":    B([]byte{byte(n), 0xFF}),
		"dims":    Map(Item{"w": Integer(10 * n), "h": Decimal("2.5")}),
		"history": List(S("created"), Bool(true), Null()),
	}
}

func sameItem(expected, actual Item) []string {
	want, got := CanonicalItem(expected), CanonicalItem(actual)
	names := map[string]bool{}
	for name := range want {
		names[name] = true
	}
	for name := range got {
		names[name] = true
	}
	var differences []string
	for name := range names {
		if want[name] != got[name] {
			differences = append(differences, fmt.Sprintf("%s: expected %s got %s", name, want[name], got[name]))
		}
	}
	sort.Strings(differences)
	return differences
}

func walkthrough(conn *grpc.ClientConn, table string) error {
	data := gatewayv1.NewDataServiceClient(conn)
	if err := healthStep(conn); err != nil {
		return err
	}
	if err := createTableStep(gatewayv1.NewTableServiceClient(conn), table); err != nil {
		return err
	}

	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		return err
	}
	partition := fmt.Sprintf("%s-%d-%s", language, time.Now().Unix(), hex.EncodeToString(random))
	key := func(n int64) Item { return Item{"pk": S(partition), "sk": Integer(n)} }
	for n := int64(1); n <= 5; n++ {
		ctx, cancel := call()
		_, err := data.Put(ctx, &gatewayv1.PutRequest{Table: table, Item: order(partition, n)})
		cancel()
		if err != nil {
			return fmt.Errorf("put %d: %w", n, err)
		}
	}
	fmt.Printf("put: 5 items in partition %s\n", partition)

	ctx, cancel := call()
	got, err := data.Get(ctx, &gatewayv1.GetRequest{Table: table, Key: key(3), ConsistentRead: true})
	cancel()
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if !got.GetFound() {
		return fmt.Errorf("get: item 3 not found")
	}
	if differences := sameItem(order(partition, 3), got.GetItem()); len(differences) > 0 {
		return fmt.Errorf("get: item 3 differs: %s", strings.Join(differences, "; "))
	}
	tags := append([]string(nil), got.GetItem()["tags"].GetStringSet().GetValues()...)
	sort.Strings(tags)
	fmt.Printf("get: sk=3 found, qty=%s, price=%s, tags=%v\n", NumberText(got.GetItem()["qty"].GetNumberValue()),
		NumberText(got.GetItem()["price"].GetNumberValue()), tags)

	var pages []string
	var keys []string
	pageToken := ""
	for {
		ctx, cancel := call()
		reply, err := data.Query(ctx, &gatewayv1.QueryRequest{
			Table: table, PartitionKey: S(partition), PageSize: 2, PageToken: pageToken, ConsistentRead: true})
		cancel()
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		pages = append(pages, fmt.Sprint(len(reply.GetItems())))
		for _, item := range reply.GetItems() {
			keys = append(keys, NumberText(item.GetAttributes()["sk"].GetNumberValue()))
		}
		if pageToken = reply.GetNextPageToken(); pageToken == "" {
			break
		}
	}
	if strings.Join(keys, ",") != "1,2,3,4,5" {
		return fmt.Errorf("query: expected sort keys 1..5 in order, got %v", keys)
	}
	fmt.Printf("query: %d items in %d pages (page sizes %s)\n", len(keys), len(pages), strings.Join(pages, ","))

	exists := &gatewayv1.Condition{Kind: &gatewayv1.Condition_AttributeExists{AttributeExists: "pk"}}
	notExists := &gatewayv1.Condition{Kind: &gatewayv1.Condition_AttributeNotExists{AttributeNotExists: "pk"}}
	audit := key(100)
	audit["kind"], audit["note"] = S("audit"), S("order 1 shipped")
	ctx, cancel = call()
	_, err = data.Transaction(ctx, &gatewayv1.TransactionRequest{Operations: []*gatewayv1.TransactionOperation{
		{Kind: &gatewayv1.TransactionOperation_Update{Update: &gatewayv1.TransactUpdate{
			Table: table, Key: key(1), Condition: exists, Actions: []*gatewayv1.UpdateAction{
				{Kind: &gatewayv1.UpdateAction_Increment{Increment: &gatewayv1.Increment{Path: "qty", Delta: IntegerNumber(1)}}},
				{Kind: &gatewayv1.UpdateAction_Set{Set: &gatewayv1.PathValue{Path: "status", Value: S("shipped")}}},
			}}}},
		{Kind: &gatewayv1.TransactionOperation_Put{Put: &gatewayv1.TransactPut{
			Table: table, Item: audit, Condition: notExists}}},
		{Kind: &gatewayv1.TransactionOperation_ConditionCheck{ConditionCheck: &gatewayv1.TransactConditionCheck{
			Table: table, Key: key(2), Condition: &gatewayv1.Condition{Kind: &gatewayv1.Condition_Comparison{
				Comparison: &gatewayv1.Comparison{Path: "qty", Comparator: gatewayv1.Comparator_COMPARATOR_EQUAL,
					Operand: &gatewayv1.Comparison_Value{Value: Integer(2)}}}}}}},
	}})
	cancel()
	if err != nil {
		return fmt.Errorf("transaction: %w", err)
	}
	ctx, cancel = call()
	item1, err := data.Get(ctx, &gatewayv1.GetRequest{Table: table, Key: key(1), ConsistentRead: true})
	cancel()
	if err != nil {
		return fmt.Errorf("transaction: get item 1: %w", err)
	}
	if NumberText(item1.GetItem()["qty"].GetNumberValue()) != "2" || item1.GetItem()["status"].GetStringValue() != "shipped" {
		return fmt.Errorf("transaction: item 1 is %v", item1.GetItem())
	}
	ctx, cancel = call()
	auditRead, err := data.Get(ctx, &gatewayv1.GetRequest{Table: table, Key: key(100), ConsistentRead: true})
	cancel()
	if err != nil || !auditRead.GetFound() {
		return fmt.Errorf("transaction: the audit item was not written (%v)", err)
	}
	fmt.Println("transaction: committed 3 operations (update sk=1 qty=2 status=shipped, put sk=100, check sk=2)")

	// A write whose condition is false: FAILED_PRECONDITION, ErrorInfo.reason CONDITION_FAILED, and (asked for
	// with ReturnItemOnConditionFailure) the current item in a ConditionFailure detail.
	ctx, cancel = call()
	_, err = data.Put(ctx, &gatewayv1.PutRequest{Table: table, Item: order(partition, 1), Condition: notExists,
		ReturnItemOnConditionFailure: true})
	cancel()
	gerr, err := ExpectError(err, codes.FailedPrecondition, "CONDITION_FAILED")
	if err != nil {
		return fmt.Errorf("condition failure: %w", err)
	}
	failure := gerr.ConditionFailure
	if failure == nil || !failure.GetItemExists() || NumberText(failure.GetItem()["qty"].GetNumberValue()) != "2" {
		return fmt.Errorf("condition failure: ConditionFailure detail is %v", failure)
	}
	fmt.Printf("condition failure: %s reason=%s current qty=%s\n", strings.ToUpper(snake(gerr.Code.String())),
		gerr.Reason(), NumberText(failure.GetItem()["qty"].GetNumberValue()))

	// The same in a transaction: the TransactionFailure detail says which operation failed.
	again := key(100)
	again["kind"] = S("audit")
	ctx, cancel = call()
	_, err = data.Transaction(ctx, &gatewayv1.TransactionRequest{Operations: []*gatewayv1.TransactionOperation{
		{Kind: &gatewayv1.TransactionOperation_ConditionCheck{ConditionCheck: &gatewayv1.TransactConditionCheck{
			Table: table, Key: key(2), Condition: exists}}},
		{Kind: &gatewayv1.TransactionOperation_Put{Put: &gatewayv1.TransactPut{
			Table: table, Item: again, Condition: notExists}}},
	}})
	cancel()
	gerr, err = ExpectError(err, codes.FailedPrecondition, "CONDITION_FAILED")
	if err != nil {
		return fmt.Errorf("transaction failure: %w", err)
	}
	var reasons []string
	for _, operation := range gerr.TransactionFailure.GetOperations() {
		reasons = append(reasons, operation.GetReason())
	}
	if len(reasons) != 2 || reasons[0] != "" || reasons[1] != "CONDITION_FAILED" {
		return fmt.Errorf("transaction failure: operation reasons %q", reasons)
	}
	fmt.Printf("transaction failure: %s reason=%s operations[1]=%s\n", strings.ToUpper(snake(gerr.Code.String())),
		gerr.Reason(), reasons[1])

	ctx, cancel = call()
	_, err = data.Put(ctx, &gatewayv1.PutRequest{Table: table, Item: SharedItem(language)})
	cancel()
	if err != nil {
		return fmt.Errorf("shared item: %w", err)
	}
	return verifyShared(data, table, language)
}

// snake turns grpc-go's code names (FailedPrecondition) into the canonical ones (FAILED_PRECONDITION).
func snake(name string) string {
	var out strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			out.WriteByte('_')
		}
		out.WriteRune(r)
	}
	return out.String()
}

func verifyShared(data gatewayv1.DataServiceClient, table, owner string) error {
	ctx, cancel := call()
	defer cancel()
	got, err := data.Get(ctx, &gatewayv1.GetRequest{Table: table, ConsistentRead: true,
		Key: Item{"pk": S("xlang:" + owner), "sk": Integer(0)}})
	if err != nil {
		return fmt.Errorf("shared item of %s: %w", owner, err)
	}
	if !got.GetFound() {
		return fmt.Errorf("shared item of %s: not found", owner)
	}
	if differences := sameItem(SharedItem(owner), got.GetItem()); len(differences) > 0 {
		return fmt.Errorf("shared item of %s differs: %s", owner, strings.Join(differences, "; "))
	}
	fmt.Printf("shared item xlang:%s: equal (%d attributes)\n", owner, len(got.GetItem()))
	return nil
}

func run(args []string) error {
	conn, err := connect()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	table := getenv("ALTGW_TABLE", "altgw_examples")
	if len(args) > 0 && args[0] == "verify" {
		data := gatewayv1.NewDataServiceClient(conn)
		for _, owner := range args[1:] {
			if err := verifyShared(data, table, owner); err != nil {
				return err
			}
		}
		return nil
	}
	return walkthrough(conn, table)
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "FAILED: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("OK")
}
