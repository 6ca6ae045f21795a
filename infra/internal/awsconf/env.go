//go:build awsenv

package awsconf

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// EnvOnly reports whether this build reads the configuration from the
// environment only (the awsenv tag).
const EnvOnly = true

// errNoCredentials is returned when the environment holds no credentials.
var errNoCredentials = errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
	"(Lambda does) or AWS_CONTAINER_CREDENTIALS_FULL_URI (this build reads the environment only)")

// load reads what Lambda puts in a function's environment: the region
// (AWS_REGION, AWS_DEFAULT_REGION), the execution role's credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or a
// container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI with
// AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]), and AWS_ENDPOINT_URL, as the
// SDK's default chain would read them there.
func load(_ context.Context, o Options) (aws.Config, error) {
	cfg := aws.Config{Region: o.Region}
	if cfg.Region == "" {
		cfg.Region = firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	}
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	creds, err := envCredentials(o)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = aws.NewCredentialsCache(creds)
	return cfg, nil
}

// envCredentials picks the static credentials of o, the environment's,
// or the container endpoint's, in that order.
func envCredentials(o Options) (aws.CredentialsProvider, error) {
	if o.AccessKeyID != "" {
		return credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, ""), nil
	}
	id, secret := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")), nil
	}
	uri := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if uri == "" {
		return nil, errNoCredentials
	}
	return endpointcreds.New(uri, func(eo *endpointcreds.Options) {
		eo.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		if f := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
			eo.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(f)
				return strings.TrimSpace(string(b)), err
			})
		}
	}), nil
}

// firstEnv returns the first non-empty of the variables.
func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
