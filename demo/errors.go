package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/ml/classify"
	"quarry/ml/imageproc"
)

// apiError is an error with an HTTP status and a message safe to show.
type apiError struct {
	status     int
	msg        string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.msg }

func userErrorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

var errQueueFull = &apiError{status: fiber.StatusServiceUnavailable,
	msg: "This demo is busy: too many requests are waiting. Please try again shortly."}

// inputErrors are the image problems a reader can fix, shown with details.
var inputErrors = []error{imageproc.ErrUnknownFormat, imageproc.ErrCorrupt, imageproc.ErrTooManyPixels,
	classify.ErrTooSmall, classify.ErrBadOption}

// apiError maps any error to a status and a message for the reader;
// unexpected errors are logged and shown as "internal error".
func (s *Server) apiError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrNotFound):
		return userErrorf(fiber.StatusNotFound, "Not found: the model, revision or file does not exist or you may not see it.")
	case errors.Is(err, ErrUnauthorized):
		return userErrorf(fiber.StatusUnauthorized, "Not found: the model does not exist, or it is private and you must sign in (or send a token) to see it.")
	case errors.Is(err, ErrForbidden):
		return userErrorf(fiber.StatusForbidden, "You may not use this model.")
	case errors.Is(err, context.DeadlineExceeded):
		return userErrorf(fiber.StatusServiceUnavailable, "The prediction took too long. Please try again.")
	case errors.Is(err, classify.ErrBadModel):
		return userErrorf(fiber.StatusInternalServerError, "This model cannot run in the demo: %s", detail(err, classify.ErrBadModel))
	}
	for _, kind := range inputErrors {
		if errors.Is(err, kind) {
			return userErrorf(fiber.StatusUnprocessableEntity, "%s.", detail(err, kind))
		}
	}
	s.cfg.Logf("demo: internal error: %v", err)
	return userErrorf(fiber.StatusInternalServerError, "Internal error.")
}

// detail returns err's message from kind's text on (dropping the "pkg: op:"
// prefixes), capitalised: "Image has too many pixels: 30000x30000 is over ...".
func detail(err, kind error) string {
	msg, k := err.Error(), kind.Error()
	if i := strings.Index(msg, k); i >= 0 {
		msg = msg[i:]
	}
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// writeError answers with {"error", "detail"}: the JS client shows `error`
// from run/ and `detail` from queue/join; 429 and 503 carry Retry-After.
func (s *Server) writeError(c *fiber.Ctx, err error) error {
	e := s.apiError(err)
	if e.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(e.retryAfter.Seconds()+0.999)))
	} else if e.status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "1")
	}
	return c.Status(e.status).JSON(fiber.Map{"error": e.msg, "detail": e.msg})
}
