package e2e

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// webDo sends one browser-like request with hc (its cookie jar, if any, is
// used): form, when not nil, is posted form-encoded with the Origin and
// Referer a browser would send. Redirects are not followed.
func webDo(hc *http.Client, method, target string, form url.Values) (*response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(target); err == nil {
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
		req.Header.Set("Referer", u.Scheme+"://"+u.Host+"/login")
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", method, target, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// webSignIn fills the sign-in form of GET /login (fields name and password,
// plus every hidden field such as a CSRF token) and posts it. It returns the
// POST's response, or GET /login's when that is not a 200 (a throttled 429,
// or no page).
func webSignIn(hc *http.Client, base, name, password string) (*response, error) {
	page, err := webDo(hc, "GET", base+"/login", nil)
	if err != nil || page.Status != http.StatusOK {
		return page, err
	}
	form := hiddenInputs(page.Body)
	form.Set("name", name)
	form.Set("password", password)
	return webDo(hc, "POST", base+"/login", form)
}

// signedIn reports whether hc's cookies hold a session: /settings/tokens
// answers 200 only to a signed-in person.
func signedIn(hc *http.Client, base string) (bool, error) {
	r, err := webDo(hc, "GET", base+"/settings/tokens", nil)
	if err != nil {
		return false, err
	}
	return r.Status == http.StatusOK, nil
}

var (
	inputTag = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attr     = regexp.MustCompile(`(?is)([a-z_:][-a-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

// hiddenInputs returns the name=value pairs of the hidden inputs of page.
func hiddenInputs(page []byte) url.Values {
	form := url.Values{}
	for _, tag := range inputTag.FindAll(page, -1) {
		attrs := map[string]string{}
		for _, m := range attr.FindAllSubmatch(tag, -1) {
			attrs[strings.ToLower(string(m[1]))] = html.UnescapeString(string(m[2]) + string(m[3]) + string(m[4]))
		}
		if strings.EqualFold(attrs["type"], "hidden") && attrs["name"] != "" {
			form.Set(attrs["name"], attrs["value"])
		}
	}
	return form
}
