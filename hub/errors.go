package hub

import (
	"errors"
	"fmt"
)

// Kind sentinels. Every error the service returns wraps exactly one of them,
// and hubhttp maps each kind to one HTTP status.
var (
	ErrNotFound     = errors.New("not found")           // 404
	ErrInvalid      = errors.New("invalid")             // 400
	ErrBadPath      = errors.New("invalid path")        // 422
	ErrConflict     = errors.New("conflict")            // 409
	ErrPrecondition = errors.New("precondition failed") // 412
	ErrUnauthorized = errors.New("unauthorized")        // 401
	ErrForbidden    = errors.New("forbidden")           // 403
	ErrTooLarge     = errors.New("too large")           // 413
	ErrRange        = errors.New("range not satisfiable")
	ErrUnsupported  = errors.New("not supported") // 501
	ErrRateLimited  = errors.New("rate limited")  // 429
)

// Specific not-found errors; each unwraps to ErrNotFound. The HF clients switch
// on the X-Error-Code header that hubhttp derives from them.
var (
	ErrRepoNotFound     = &codeError{code: "RepoNotFound", kind: ErrNotFound, msg: "Repository not found"}
	ErrRevisionNotFound = &codeError{code: "RevisionNotFound", kind: ErrNotFound, msg: "Revision not found"}
	ErrEntryNotFound    = &codeError{code: "EntryNotFound", kind: ErrNotFound, msg: "Entry not found"}
)

type codeError struct {
	code string
	kind error
	msg  string
}

func (e *codeError) Error() string { return e.msg }
func (e *codeError) Unwrap() error { return e.kind }

// Error is an error whose message is safe to show to users. Kind is one of the
// sentinels above; Code, when set, is the HF X-Error-Code.
type Error struct {
	Kind    error
	Code    string
	Message string
	Err     error // optional cause, never shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the kind, and the cause when there is one.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Errorf returns an *Error of the given kind with a user-visible message.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns an error that unwraps to code (ErrRepoNotFound,
// ErrRevisionNotFound or ErrEntryNotFound) with a more precise message.
func NotFoundf(code error, format string, args ...any) error {
	c, _ := code.(*codeError)
	e := &Error{Kind: ErrNotFound, Message: fmt.Sprintf(format, args...)}
	if c != nil {
		e.Code = c.code
		e.Err = c
	}
	return e
}

// ErrorCode returns the HF X-Error-Code carried by err, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	var c *codeError
	if errors.As(err, &c) {
		return c.code
	}
	return ""
}

// ErrorMessage returns the user-visible message of err. Errors that carry no
// safe message (internal failures) give "internal error".
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var c *codeError
	if errors.As(err, &c) {
		return c.msg
	}
	for _, k := range kinds {
		if err == k {
			return k.Error()
		}
	}
	return "internal error"
}

var kinds = []error{ErrNotFound, ErrInvalid, ErrBadPath, ErrConflict, ErrPrecondition,
	ErrUnauthorized, ErrForbidden, ErrTooLarge, ErrRange, ErrUnsupported, ErrRateLimited}

// ErrorKind returns the kind sentinel err wraps, or nil for internal errors.
func ErrorKind(err error) error {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
