package hub

import (
	"strings"
	"time"
)

// LFSResumeWindow is how long after it expired the completion URL of a
// multipart upload still resumes that upload. A client that sends it as
// LFSObject.Resume in a new batch request gets fresh part and completion
// URLs for the same upload, marked by LFSResumedHeader, so that the parts
// the server (or S3) already holds need not be sent again: the client
// completes with their ETags. Parts missing by then, or not matching the
// object, make the completion fail (ErrInvalid) and nothing is recorded;
// the client then starts a fresh upload. S3 drops incomplete multipart
// uploads a day after they start (infra/s3's lifecycle rule).
const LFSResumeWindow = 24 * time.Hour

// LFSResumedHeader is the key of a multipart upload action's header set to
// "true" when the action continues the upload named by LFSObject.Resume.
// Both HF clients read only chunk_size and the numbered part URLs.
const LFSResumedHeader = "resumed"

// resumedUpload returns the upload id of o.Resume, the completion URL (or
// its token) of an earlier multipart upload, when this server signed it
// for the same repo, oid and size and it expired less than
// LFSResumeWindow ago; "" otherwise, for a fresh upload.
func (s *Service) resumedUpload(repo *Repo, o LFSObject) string {
	if o.Resume == "" {
		return ""
	}
	tok := o.Resume[strings.LastIndexByte(o.Resume, '/')+1:]
	cl, err := s.parseToken(tok, tokMultipart)
	if err != nil || cl.Repo != repo.Key || cl.OID != o.OID || cl.Size != o.Size || cl.Upload == "" {
		return ""
	}
	if s.now().After(time.Unix(cl.Exp, 0).Add(LFSResumeWindow)) {
		return ""
	}
	return cl.Upload
}
