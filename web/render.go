package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the templates under templates/ that are whole pages; each is
// parsed together with layout.html.
var pageNames = []string{"login", "tokens", "repos", "activity", "error",
	"home", "repo", "tree", "blob", "commits", "commit", "compare", "namespace",
	"training_new", "training_project"}

// pages holds one parsed template set per page.
type pages struct {
	byName map[string]*template.Template
}

// view is what the layout needs from every page, plus the page's own data.
type view struct {
	Title  string // <title> and <h1>
	Active string // nav item: "tokens", "repos" or "activity"
	User   string // signed-in user, "" when signed out
	CSRF   string // the session's CSRF token for the sign-out form and others
	Here   string // the page's path and query, for "sign in and come back"
	Page   any    // page-specific data
}

// mustParsePages parses the embedded templates.
func mustParsePages(a *assets) *pages {
	funcs := template.FuncMap{
		"asset":   a.url,
		"action":  describeAction,
		"when":    formatTime,
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"size":    formatSize,
		"short":   shortID,
		"pathURL": escapePath,
		"diffOf":  diffOf,
		"rev":     revLabel,
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t := template.New(name).Funcs(funcs)
		p.byName[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
	return p
}

// formatTime renders a time for people, in UTC.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// formatSize renders a byte count for people ("1.2 MB").
func formatSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// diffTable is what the "diff" template shows: a labelled diff.
type diffTable struct {
	Label string
	Lines []diffLine
}

// diffOf pairs a diff with its accessible label for the "diff" template.
func diffOf(label string, lines []diffLine) diffTable { return diffTable{Label: label, Lines: lines} }

// revLabel shortens a full commit id to 7 characters and keeps branch
// and tag names.
func revLabel(rev string) string {
	if len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "" {
		return rev[:7]
	}
	return rev
}

// shortID returns the first 7 characters of a commit id.
func shortID(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}

// render executes page into a buffer (so that a template failure cannot send
// half a page) and sends it with status.
func (s *site) render(c *fiber.Ctx, status int, page string, v view) error {
	t, ok := s.pages.byName[page]
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// errorData is the error page's data.
type errorData struct {
	Status  int
	Message string
}

// statusOf maps hub error kinds to HTTP statuses for error pages.
var statusOf = map[error]int{
	hub.ErrNotFound:     http.StatusNotFound,
	hub.ErrInvalid:      http.StatusBadRequest,
	hub.ErrBadPath:      http.StatusBadRequest,
	hub.ErrConflict:     http.StatusConflict,
	hub.ErrPrecondition: http.StatusConflict,
	hub.ErrUnauthorized: http.StatusUnauthorized,
	hub.ErrForbidden:    http.StatusForbidden,
	hub.ErrTooLarge:     http.StatusRequestEntityTooLarge,
	hub.ErrUnsupported:  http.StatusNotImplemented,
	hub.ErrRateLimited:  http.StatusTooManyRequests,
}

// describe returns the status and the message a person may see for err.
// Internal errors get 500 and a message that reveals nothing.
func describe(err error) (int, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code, fe.Message
	}
	kind := hub.ErrorKind(err)
	status, ok := statusOf[kind]
	if !ok {
		return http.StatusInternalServerError, "Something went wrong on our side. Please try again; if it keeps happening, tell the site administrator."
	}
	return status, hub.ErrorMessage(err)
}

// errorPage renders err as a page. Internal errors are logged, never shown.
func (s *site) errorPage(c *fiber.Ctx, err error) error {
	status, msg := describe(err)
	if status >= 500 {
		s.log.Error("web request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	setRetryAfter(c, err)
	return s.showError(c, status, msg)
}

// showError renders the error page with a given status and message.
func (s *site) showError(c *fiber.Ctx, status int, msg string) error {
	v := view{Title: http.StatusText(status), Page: errorData{Status: status, Message: msg}}
	if v.Title == "" {
		v.Title = "Error"
	}
	if err := s.render(c, status, "error", v); err != nil {
		s.log.Error("render error page", "err", err)
		return c.Status(status).SendString(msg)
	}
	return nil
}

// setRetryAfter sets the Retry-After header (whole seconds, at least 1) when
// err is a rate limit, and returns the delay in seconds (0 otherwise).
func setRetryAfter(c *fiber.Ctx, err error) int {
	var rl *hub.RateLimitError
	if !errors.As(err, &rl) {
		return 0
	}
	secs := int((rl.RetryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return secs
}
