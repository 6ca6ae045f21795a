// Command api is Quarry's API Lambda function: the hub API, the web pages
// and the training API (and, built with cgo, the demo) behind an API
// Gateway REST API or a Lambda Function URL (streaming its answers when
// the URL's InvokeMode is RESPONSE_STREAM), on the S3 bucket and the
// DynamoDB table of template.yaml. Built without cgo (make build-lambda)
// it is the small provided.al2023 arm64 function; the demo runs in a
// container-image build of the same code with ONNX Runtime (make
// lambda-image).
// Configuration: see lambdaapp.ConfigFromEnv.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"quarry/functions/api/lambdaapp"
)

func main() {
	cfg, err := lambdaapp.ConfigFromEnv(os.Getenv)
	if err == nil {
		var app *lambdaapp.App
		if app, err = lambdaapp.New(context.Background(), cfg); err == nil {
			lambda.Start(app.Handle)
		}
	}
	fmt.Fprintln(os.Stderr, "api:", err)
	os.Exit(1)
}
