package infra_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"quarry/hub"
	"quarry/infra"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

// TestAWS sets up the AWS backend on the emulator twice (the second run
// keeps the data), then opens it as `quarry serve` does.
func TestAWS(t *testing.T) {
	srv := awstest.Need(t, moto)
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	env := map[string]string{"QUARRY_BACKEND": "aws", "QUARRY_S3_BUCKET": "quarry-infra-test",
		"QUARRY_DYNAMODB_TABLE": "quarry-infra-test", "AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": awstest.Region}
	cfg := infra.ConfigFromEnv(func(k string) string { return env[k] })
	ctx := context.Background()
	if err := infra.InitAWS(ctx, cfg); err != nil {
		t.Fatalf("InitAWS: %v", err)
	}
	blobs, meta, closer, err := infra.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if _, err := blobs.Put(ctx, "objects/ab/cd", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := meta.CreateUser(ctx, &hub.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := blobs.(hub.Presigner); !ok {
		t.Fatal("the AWS blob store cannot presign URLs")
	}
	if err := infra.InitAWS(ctx, cfg); err != nil {
		t.Fatalf("second InitAWS: %v", err)
	}
	if _, err := meta.GetUser(ctx, "alice"); err != nil {
		t.Fatalf("user lost by a second InitAWS: %v", err)
	}
	if n, err := blobs.Stat(ctx, "objects/ab/cd"); err != nil || n != 1 {
		t.Fatalf("blob after a second InitAWS: %d, %v", n, err)
	}
	s1, err := infra.LoadSecret(cfg)
	if err != nil || len(s1) < 32 {
		t.Fatalf("LoadSecret = %d bytes, %v", len(s1), err)
	}
	if s2, err := infra.LoadSecret(cfg); err != nil || string(s1) != string(s2) {
		t.Fatalf("LoadSecret changed between calls (%v)", err)
	}
}

func TestAWSConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg   infra.Config
		field string
	}{
		{infra.Config{Backend: "aws", DynamoDBTable: "t"}, "S3Bucket"},
		{infra.Config{Backend: "aws", S3Bucket: "b"}, "DynamoDBTable"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Fatalf("Validate(%+v) = %v, want an error naming %s", tc.cfg, err, tc.field)
		}
	}
	if err := (infra.Config{Backend: "aws", S3Bucket: "b", DynamoDBTable: "t"}).Validate(); err != nil {
		t.Fatalf("a complete AWS config is invalid: %v", err)
	}
	if err := infra.InitAWS(context.Background(), infra.DefaultConfig()); err == nil {
		t.Fatal("InitAWS accepted the local backend")
	}
}
