package main

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"quarry/infra/dynamo"
	"quarry/internal/awstest"
)

// tableSpec is what template.yaml and infra/dynamo must agree on.
type tableSpec struct {
	Billing string
	Attrs   []string // "name:type", sorted
	Keys    []string // "name:HASH", "name:RANGE"
	Indexes []string // "index name key:HASH key:RANGE projection", sorted
	TTL     string
}

// TestTemplateTableMatchesStore checks that the DynamoDB table declared in
// template.yaml is exactly the one infra/dynamo creates (`quarry aws
// init`): billing, attributes, key schema, indexes with their projection,
// and the TTL attribute, as moto describes the latter.
func TestTemplateTableMatchesStore(t *testing.T) {
	srv := awstest.Need(t, moto)
	srv.Env(t)
	ctx := context.Background()
	want := templateTable(t)
	meta, err := dynamo.Open(ctx, dynamo.Config{Table: "template-check", Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := meta.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	ac, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ac.BaseEndpoint = aws.String(srv.URL)
	db := dynamodb.NewFromConfig(ac)
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("template-check")})
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("template-check")})
	if err != nil {
		t.Fatal(err)
	}
	td := out.Table
	got := tableSpec{Billing: string(td.BillingModeSummary.BillingMode), TTL: aws.ToString(ttl.TimeToLiveDescription.AttributeName)}
	for _, a := range td.AttributeDefinitions {
		got.Attrs = append(got.Attrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	for _, k := range td.KeySchema {
		got.Keys = append(got.Keys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	for _, ix := range td.GlobalSecondaryIndexes {
		s := aws.ToString(ix.IndexName)
		for _, k := range ix.KeySchema {
			s += " " + aws.ToString(k.AttributeName) + ":" + string(k.KeyType)
		}
		got.Indexes = append(got.Indexes, s+" "+string(ix.Projection.ProjectionType))
	}
	slices.Sort(got.Attrs)
	slices.Sort(got.Indexes)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("template.yaml's table (-) differs from infra/dynamo's (+):\n%s", d)
	}
}

// keyElem is a key schema element of the template.
type keyElem struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// templateTable reads the Table resource of template.yaml.
func templateTable(t *testing.T) tableSpec {
	t.Helper()
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources struct {
			Table struct {
				Properties struct {
					BillingMode          string `yaml:"BillingMode"`
					AttributeDefinitions []struct {
						AttributeName string `yaml:"AttributeName"`
						AttributeType string `yaml:"AttributeType"`
					} `yaml:"AttributeDefinitions"`
					KeySchema              []keyElem `yaml:"KeySchema"`
					GlobalSecondaryIndexes []struct {
						IndexName  string    `yaml:"IndexName"`
						KeySchema  []keyElem `yaml:"KeySchema"`
						Projection struct {
							ProjectionType string `yaml:"ProjectionType"`
						} `yaml:"Projection"`
					} `yaml:"GlobalSecondaryIndexes"`
					TimeToLiveSpecification struct {
						AttributeName string `yaml:"AttributeName"`
					} `yaml:"TimeToLiveSpecification"`
				} `yaml:"Properties"`
			} `yaml:"Table"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	p := doc.Resources.Table.Properties
	s := tableSpec{Billing: p.BillingMode, TTL: p.TimeToLiveSpecification.AttributeName}
	for _, a := range p.AttributeDefinitions {
		s.Attrs = append(s.Attrs, a.AttributeName+":"+a.AttributeType)
	}
	for _, k := range p.KeySchema {
		s.Keys = append(s.Keys, k.AttributeName+":"+k.KeyType)
	}
	for _, ix := range p.GlobalSecondaryIndexes {
		v := ix.IndexName
		for _, k := range ix.KeySchema {
			v += " " + k.AttributeName + ":" + k.KeyType
		}
		s.Indexes = append(s.Indexes, v+" "+ix.Projection.ProjectionType)
	}
	slices.Sort(s.Attrs)
	slices.Sort(s.Indexes)
	return s
}

// TestTemplateStreaming checks that every Function URL of template.yaml
// and its function agree on the invoke mode: a RESPONSE_STREAM URL needs
// QUARRY_RESPONSE_STREAM=true (the app then answers its events with
// streams), a BUFFERED one must not have it; and that the functions
// serving SSE routes (the API: job logs; the demo: the Gradio queue)
// stream.
func TestTemplateStreaming(t *testing.T) {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type function struct {
		Type       string `yaml:"Type"`
		Properties struct {
			Environment struct {
				Variables map[string]yaml.Node `yaml:"Variables"`
			} `yaml:"Environment"`
			FunctionUrlConfig *struct {
				InvokeMode string `yaml:"InvokeMode"`
			} `yaml:"FunctionUrlConfig"`
		} `yaml:"Properties"`
	}
	var doc struct {
		Resources map[string]function `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	modes := map[string]string{}
	for name, fn := range doc.Resources {
		if fn.Type != "AWS::Serverless::Function" || fn.Properties.FunctionUrlConfig == nil {
			continue
		}
		mode := fn.Properties.FunctionUrlConfig.InvokeMode
		if mode == "" {
			mode = "BUFFERED"
		}
		modes[name] = mode
		v := fn.Properties.Environment.Variables["QUARRY_RESPONSE_STREAM"]
		if streams := v.Value == "true"; streams != (mode == "RESPONSE_STREAM") {
			t.Errorf("%s: InvokeMode %s but QUARRY_RESPONSE_STREAM=%q", name, mode, v.Value)
		}
	}
	for _, name := range []string{"ApiFunction", "DemoFunction"} {
		if modes[name] != "RESPONSE_STREAM" {
			t.Errorf("%s: Function URL InvokeMode %q, want RESPONSE_STREAM (it serves SSE)", name, modes[name])
		}
	}
}
