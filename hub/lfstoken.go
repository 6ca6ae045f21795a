package hub

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Lifetimes of signed LFS URLs.
const (
	LFSUploadTTL   = time.Hour
	LFSDownloadTTL = time.Hour
)

// Operations a signed LFS token allows.
const (
	tokUpload    = "upload"    // basic PUT of the whole object
	tokMultipart = "multipart" // part PUTs and completion
	tokDownload  = "download"
)

// lfsClaims is what a signed LFS token binds.
type lfsClaims struct {
	Op     string `json:"op"`
	Repo   string `json:"r"` // repo key
	OID    string `json:"o"`
	Size   int64  `json:"s"`
	Upload string `json:"u,omitempty"` // upload id (uploads only)
	Exp    int64  `json:"e"`           // unix seconds
}

// tokenDomain separates these MACs from any other use of the secret.
const tokenDomain = "quarry-lfs-v1\x00"

var b64 = base64.RawURLEncoding

// signToken returns the URL-safe token "<payload>.<mac>".
func (s *Service) signToken(cl lfsClaims) (string, error) {
	if len(s.Secret) == 0 {
		return "", Errorf(ErrUnsupported, "LFS transfers need a signing secret, and none is configured")
	}
	data, err := json.Marshal(cl)
	if err != nil {
		return "", err
	}
	payload := b64.EncodeToString(data)
	return payload + "." + b64.EncodeToString(s.mac(payload)), nil
}

func (s *Service) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(tokenDomain + payload))
	return m.Sum(nil)
}

// errBadToken is the answer to a forged, mangled or expired LFS token.
var errBadToken = Errorf(ErrForbidden, "invalid or expired LFS transfer URL")

// verifyToken checks a token's MAC, operation and expiry.
func (s *Service) verifyToken(token, op string) (*lfsClaims, error) {
	cl, err := s.parseToken(token, op)
	if err != nil || s.now().Unix() > cl.Exp {
		return nil, errBadToken
	}
	return cl, nil
}

// parseToken checks a token's MAC and operation, not its expiry.
func (s *Service) parseToken(token, op string) (*lfsClaims, error) {
	payload, sig, ok := strings.Cut(token, ".")
	mac, err := b64.DecodeString(sig)
	if !ok || err != nil || len(s.Secret) == 0 || !hmac.Equal(mac, s.mac(payload)) {
		return nil, errBadToken
	}
	data, err := b64.DecodeString(payload)
	var cl lfsClaims
	if err != nil || json.Unmarshal(data, &cl) != nil || cl.Op != op || !isSHA256(cl.OID) || cl.Size < 0 {
		return nil, errBadToken
	}
	return &cl, nil
}

// newUploadID returns a random id naming an upload's temporary keys.
func newUploadID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
