package hubhttp

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// statusOf maps each hub error kind to its HTTP status.
var statusOf = map[error]int{
	hub.ErrNotFound:     http.StatusNotFound,
	hub.ErrInvalid:      http.StatusBadRequest,
	hub.ErrBadPath:      http.StatusUnprocessableEntity,
	hub.ErrConflict:     http.StatusConflict,
	hub.ErrPrecondition: http.StatusPreconditionFailed,
	hub.ErrUnauthorized: http.StatusUnauthorized,
	hub.ErrForbidden:    http.StatusForbidden,
	hub.ErrTooLarge:     http.StatusRequestEntityTooLarge,
	hub.ErrRange:        http.StatusRequestedRangeNotSatisfiable,
	hub.ErrUnsupported:  http.StatusNotImplemented,
	hub.ErrRateLimited:  http.StatusTooManyRequests,
}

// internalMessage is all a client learns about an unexpected failure.
const internalMessage = "internal error"

// describe returns the status, the HF error code (may be empty) and the
// user-visible message for err. Unknown errors are 500 "internal error".
func describe(err error) (status int, code, msg string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code, "", fe.Message
	}
	kind := hub.ErrorKind(err)
	if kind == nil {
		return http.StatusInternalServerError, "", internalMessage
	}
	msg = hub.ErrorMessage(err)
	if msg == internalMessage {
		// A wrapped kind without a safe message: name the kind only.
		msg = kind.Error()
	}
	return statusOf[kind], hub.ErrorCode(err), msg
}

// handleError is the one place that turns an error into an HTTP response:
// status, X-Error-Code, X-Error-Message and a JSON body {"error": msg}.
// Internal errors are logged with the request id and never echoed.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, code, msg := describe(err)
	if status >= 500 && status != http.StatusNotImplemented {
		s.log.Error("request failed", "method", c.Method(), "path", c.OriginalURL(),
			"request_id", requestIDOf(c), "err", err)
	}
	if code != "" {
		c.Set("X-Error-Code", code)
	}
	c.Set("X-Error-Message", headerSafe(msg))
	if status == http.StatusUnauthorized && strings.Contains(c.Path(), "/info/lfs/") {
		// git and git-lfs only send credentials after a Basic challenge.
		c.Set("WWW-Authenticate", `Basic realm="Quarry"`)
		c.Set("LFS-Authenticate", `Basic realm="Quarry"`)
	}
	var rl *hub.RateLimitError
	if errors.As(err, &rl) {
		c.Set("Retry-After", strconv.Itoa(retrySeconds(rl.RetryAfter)))
	}
	if status == http.StatusRequestedRangeNotSatisfiable && c.GetRespHeader("Content-Range") == "" {
		c.Set("Content-Range", "bytes */*")
	}
	c.Response().ResetBody()
	return c.Status(status).JSON(fiber.Map{"error": msg})
}

// retrySeconds rounds a wait up to whole seconds, at least one.
func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// headerSafe makes msg fit in a header value: one line of printable ASCII.
func headerSafe(msg string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, msg)
}
