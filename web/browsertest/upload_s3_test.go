package browsertest

import (
	"path/filepath"
	"regexp"
	"testing"

	"quarry/internal/awstest"
)

// TestResumableUploadOnS3InChromium runs the scenarios of
// TestResumableUploadInChromium against `quarry serve` on the AWS backend,
// emulated by moto: the page PUTs every part straight to S3 through
// presigned URLs (its Content-Security-Policy lets it connect to the
// bucket), a resumed upload continues the same S3 multipart upload, and
// the repos end up byte-identical. Moto's access log must show the
// browser's presigned part PUTs.
func TestResumableUploadOnS3InChromium(t *testing.T) {
	chromium := prerequisites(t)
	bin := quarryBinary(t)
	m := awstest.Run(t)
	const bucket = "quarry-upload"
	env := []string{"QUARRY_BACKEND=aws", "QUARRY_S3_BUCKET=" + bucket, "QUARRY_DYNAMODB_TABLE=quarry-upload",
		"AWS_ENDPOINT_URL=" + m.URL, "AWS_REGION=" + awstest.Region, "AWS_ACCESS_KEY_ID=" + awstest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + awstest.SecretAccessKey}
	runEnv(t, env, bin, "aws", "init")
	data := t.TempDir()
	token := lastLine(t, runEnv(t, env, bin, "user", "create", testUser, "--password", testPassword, "--data", data))
	srv := serveEnv(t, bin, env, "serve", "--data", data)
	uploadScenarios(t, chromium, srv, token, filepath.Join(artifactsDir(t), "s3"))

	// 2+3, 2+3+5 and 1+5 parts of the big file at least, all query-signed.
	put := regexp.MustCompile(`"PUT /` + bucket + `/uploads/[^ ?]+\?[^ ]*partNumber=[^ ]*X-Amz-Signature=[^ ]* HTTP/1\.1" 200`)
	put2 := regexp.MustCompile(`"PUT /` + bucket + `/uploads/[^ ?]+\?[^ ]*X-Amz-Signature=[^ ]*partNumber=[^ ]* HTTP/1\.1" 200`)
	n := len(put.FindAllString(m.Log(), -1)) + len(put2.FindAllString(m.Log(), -1))
	if n < 21 {
		t.Fatalf("moto saw %d presigned part PUTs, want at least 21: the page's bytes did not go straight to S3", n)
	}
	t.Logf("moto: %d presigned part PUTs", n)
}
