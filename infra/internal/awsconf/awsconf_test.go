package awsconf

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// isolate clears the AWS variables and points the shared files at nothing,
// so that only what a case sets counts.
func isolate(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
		"AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestLoad checks, in both builds (go test, go test -tags awsenv), that the
// region, endpoint and credentials come from the options or from the
// environment as Lambda sets it, including a container credentials
// endpoint.
func TestLoad(t *testing.T) {
	creds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "container-token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": "AKIDCONTAINER", "SecretAccessKey": "container-secret",
			"Token": "container-session", "Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}))
	defer creds.Close()
	tests := []struct {
		name     string
		env      map[string]string
		opts     Options
		region   string
		endpoint string
		creds    aws.Credentials // AccessKeyID, SecretAccessKey, SessionToken compared
	}{
		{name: "options", opts: Options{Region: "eu-west-1", Endpoint: "http://127.0.0.1:5000", AccessKeyID: "AKIDOPT", SecretAccessKey: "opt"},
			region: "eu-west-1", endpoint: "http://127.0.0.1:5000", creds: aws.Credentials{AccessKeyID: "AKIDOPT", SecretAccessKey: "opt"}},
		{name: "lambda environment", env: map[string]string{"AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "ASIAENV",
			"AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-session", "AWS_ENDPOINT_URL": "http://127.0.0.1:5001"},
			region: "eu-central-1", endpoint: "http://127.0.0.1:5001",
			creds: aws.Credentials{AccessKeyID: "ASIAENV", SecretAccessKey: "env-secret", SessionToken: "env-session"}},
		{name: "default region", env: map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B"},
			region: DefaultRegion, creds: aws.Credentials{AccessKeyID: "A", SecretAccessKey: "B"}},
		{name: "container endpoint", env: map[string]string{"AWS_DEFAULT_REGION": "ap-south-1",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI": creds.URL, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token"},
			region: "ap-south-1", creds: aws.Credentials{AccessKeyID: "AKIDCONTAINER", SecretAccessKey: "container-secret", SessionToken: "container-session"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(context.Background(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tc.region || aws.ToString(cfg.BaseEndpoint) != tc.endpoint {
				t.Errorf("region %q, endpoint %q; want %q, %q", cfg.Region, aws.ToString(cfg.BaseEndpoint), tc.region, tc.endpoint)
			}
			got, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessKeyID != tc.creds.AccessKeyID || got.SecretAccessKey != tc.creds.SecretAccessKey || got.SessionToken != tc.creds.SessionToken {
				t.Errorf("credentials %s/%s/%s, want %s/%s/%s", got.AccessKeyID, got.SecretAccessKey, got.SessionToken,
					tc.creds.AccessKeyID, tc.creds.SecretAccessKey, tc.creds.SessionToken)
			}
		})
	}
}

// TestLoadWithoutCredentials: the environment-only build refuses to start
// without credentials, naming what to set; the default chain finds none
// when asked.
func TestLoadWithoutCredentials(t *testing.T) {
	isolate(t)
	cfg, err := Load(context.Background(), Options{})
	if EnvOnly {
		if err == nil {
			t.Fatal("Load without credentials succeeded")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil {
		t.Fatal("the default chain found credentials in an empty environment")
	}
}
