package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Ambient CI providers, tried in this order; the first one detected is the only one used.
//
// Detection follows sigstore-python (through its "id" library) and cosign:
//
//   - GitHub Actions: $GITHUB_ACTIONS is "true" or $ACTIONS_ID_TOKEN_REQUEST_URL is set.
//     GET $ACTIONS_ID_TOKEN_REQUEST_URL with audience=<aud> added to its query and
//     "Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN"; the answer is
//     {"value": "<jwt>"}. The two variables exist only when the job has
//     "permissions: id-token: write", so their absence is reported with that hint.
//   - GitLab CI: $GITLAB_CI is "true". GitLab has no token endpoint: a job declares
//     id_tokens, each exposed as an environment variable named by the job. Like the id
//     library, the variable is <AUD>_ID_TOKEN (the audience upper-cased, other characters
//     than A-Z, 0-9 and _ replaced by _), which for the default audience is
//     $SIGSTORE_ID_TOKEN, the name cosign's GitLab provider reads, already consulted
//     before ambient providers. Reaching this provider therefore means the variable is
//     missing, and the error shows the id_tokens stanza to add.
//   - Buildkite: $BUILDKITE is "true". Runs
//     "buildkite-agent oidc request-token --audience <aud>" from $PATH.
//   - CircleCI: $CIRCLECI is "true". Runs
//     `circleci run oidc get --claims '{"aud":"<aud>"}'` from $PATH.
//   - Google Cloud: /sys/class/dmi/id/product_name is "Google" or "Google Compute
//     Engine" (GCE, GKE, Cloud Build, Cloud Run jobs on GCE hardware). GET
//     http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=<aud>&format=full
//     with "Metadata-Flavor: Google", and the answer must carry that header too. This
//     is the simple, safe subset: one local request, no probing of the network on every
//     laptop. Service account impersonation ($GOOGLE_SERVICE_ACCOUNT_NAME, which
//     sigstore-python and cosign support through the IAM Credentials API) is not: when
//     that variable is set the provider fails with a hint to mint the token with gcloud
//     and pass it in $SIGSTORE_ID_TOKEN, rather than silently signing as the machine's
//     default service account.
var ambientProviders = []ambientProvider{
	{"GitHub Actions", detectGitHub, fetchGitHub},
	{"GitLab CI", detectGitLab, fetchGitLab},
	{"Buildkite", detectBuildkite, fetchBuildkite},
	{"CircleCI", detectCircleCI, fetchCircleCI},
	{"the Google Cloud metadata server", detectGoogle, fetchGoogle},
}

type ambientProvider struct {
	name   string
	detect func(o *Options) bool
	fetch  func(ctx context.Context, o *Options) (string, error)
}

// ambientTimeout bounds one ambient request or helper program.
const ambientTimeout = 60 * time.Second

// maxResponse bounds every HTTP body read from a provider or issuer.
const maxResponse = 1 << 20

func detectGitHub(o *Options) bool {
	return o.Getenv("GITHUB_ACTIONS") == "true" || o.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != ""
}

func fetchGitHub(ctx context.Context, o *Options) (string, error) {
	reqURL, reqToken := o.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), o.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || reqToken == "" {
		return "", invalid("$ACTIONS_ID_TOKEN_REQUEST_URL or $ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set; give the job `permissions: id-token: write` (pull requests from forks cannot have it)")
	}
	u, err := url.Parse(reqURL)
	if err != nil || !secureURL(u) {
		return "", invalid("$ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL")
	}
	q := u.Query()
	q.Set("audience", o.Audience)
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, ambientTimeout)
	defer cancel()
	body, _, err := doRetry(ctx, o, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, invalid("%v", err)
		}
		req.Header.Set("Authorization", "Bearer "+reqToken)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return "", err
	}
	var payload struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &payload); err != nil || payload.Value == "" {
		return "", invalid("the token request's answer is not JSON with a \"value\"")
	}
	return payload.Value, nil
}

func detectGitLab(o *Options) bool { return o.Getenv("GITLAB_CI") == "true" }

func fetchGitLab(_ context.Context, o *Options) (string, error) {
	name := gitLabVariable(o.Audience)
	if raw := strings.TrimSpace(o.Getenv(name)); raw != "" {
		return raw, nil
	}
	return "", invalid("$%s is not set; add `id_tokens: {%s: {aud: %s}}` to the job", name, name, o.Audience)
}

// gitLabVariable is the variable the id library reads for audience: "sigstore" gives
// SIGSTORE_ID_TOKEN.
func gitLabVariable(audience string) string {
	b := []byte(strings.ToUpper(audience))
	for i, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') || (i == 0 && '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b) + "_ID_TOKEN"
}

func detectBuildkite(o *Options) bool { return o.Getenv("BUILDKITE") == "true" }

func fetchBuildkite(ctx context.Context, o *Options) (string, error) {
	return runHelper(ctx, o, "buildkite-agent", "oidc", "request-token", "--audience", o.Audience)
}

func detectCircleCI(o *Options) bool { return o.Getenv("CIRCLECI") == "true" }

func fetchCircleCI(ctx context.Context, o *Options) (string, error) {
	claims, err := json.Marshal(map[string]string{"aud": o.Audience})
	if err != nil {
		return "", invalid("%v", err)
	}
	return runHelper(ctx, o, "circleci", "run", "oidc", "get", "--claims", string(claims))
}

// runHelper runs a CI system's own program, found on o's $PATH, and returns what it
// printed. Its error output, not its standard output, goes into errors.
func runHelper(ctx context.Context, o *Options, name string, args ...string) (string, error) {
	path, err := lookPath(name, o.Getenv("PATH"))
	if err != nil {
		return "", invalid("%s is not on $PATH", name)
	}
	ctx, cancel := context.WithTimeout(ctx, ambientTimeout)
	defer cancel()
	var stdout, stderr limitedBuffer
	stdout.limit, stderr.limit = MaxTokenSize+1024, 4096
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // a grandchild holding the pipes must not hang us
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", network("%s %s: %w", name, args[0], ctxErr)
		}
		msg := clean(stderr.String())
		if msg != "" {
			msg = ": " + msg
		}
		return "", invalid("%s %s failed: %v%s", name, strings.Join(args[:2], " "), err, msg)
	}
	if stdout.over {
		return "", invalid("%s printed more than %d bytes", name, stdout.limit)
	}
	out := strings.TrimSpace(stdout.String())
	if out == "" {
		return "", invalid("%s printed no token", name)
	}
	return out, nil
}

// limitedBuffer keeps the first limit bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	limit int
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// lookPath finds an executable in path (a $PATH value), like exec.LookPath but for an
// environment that need not be the process's own.
func lookPath(name, path string) (string, error) {
	exts := []string{""}
	if runtime.GOOS == "windows" {
		exts = []string{".exe", ".bat", ".cmd", ""}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // a relative $PATH entry would run whatever is in the working directory
		}
		for _, ext := range exts {
			p := filepath.Join(dir, name+ext)
			fi, err := os.Stat(p)
			if err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0) {
				return p, nil
			}
		}
	}
	return "", exec.ErrNotFound
}

func detectGoogle(o *Options) bool {
	if o.Getenv("GOOGLE_SERVICE_ACCOUNT_NAME") != "" {
		return true
	}
	b, err := os.ReadFile(o.gceProductFile)
	if err != nil {
		return false
	}
	name := strings.TrimSpace(string(b))
	return name == "Google" || name == "Google Compute Engine"
}

func fetchGoogle(ctx context.Context, o *Options) (string, error) {
	if sa := o.Getenv("GOOGLE_SERVICE_ACCOUNT_NAME"); sa != "" {
		return "", invalid("$GOOGLE_SERVICE_ACCOUNT_NAME is set, but signet does not impersonate service accounts; set $SIGSTORE_ID_TOKEN from `gcloud auth print-identity-token --impersonate-service-account=%s --audiences=%s --include-email`, or unset it to sign as this machine's default service account", clean(sa), o.Audience)
	}
	u, err := url.Parse(o.gceMetadataURL + "/computeMetadata/v1/instance/service-accounts/default/identity")
	if err != nil {
		return "", invalid("%v", err)
	}
	u.RawQuery = url.Values{"audience": {o.Audience}, "format": {"full"}}.Encode()
	ctx, cancel := context.WithTimeout(ctx, ambientTimeout)
	defer cancel()
	body, resp, err := doRetry(ctx, o, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, invalid("%v", err)
		}
		req.Header.Set("Metadata-Flavor", "Google")
		return req, nil
	})
	if err != nil {
		return "", err
	}
	if resp.Header.Get("Metadata-Flavor") != "Google" {
		return "", invalid("the answer from %s is not from a metadata server (no Metadata-Flavor: Google)", u.Host)
	}
	return string(body), nil
}

// retryBackoff is the pause before each retry of a request that failed with ErrNetwork.
var retryBackoff = []time.Duration{time.Second, 3 * time.Second}

// doRetry is do with retries: a CI job should not fail on one dropped connection or 503.
// newReq builds a fresh request for each attempt.
func doRetry(ctx context.Context, o *Options, newReq func(context.Context) (*http.Request, error)) ([]byte, *http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, nil, err
		}
		body, resp, err := do(o.HTTPClient, req)
		if err == nil || !errors.Is(err, ErrNetwork) || attempt == len(retryBackoff) || ctx.Err() != nil {
			return body, resp, err
		}
		if o.sleep(ctx, retryBackoff[attempt]) != nil {
			return nil, nil, err
		}
	}
}

// do sends req and returns the body of a 2xx answer, at most maxResponse bytes. Failing to
// connect, HTTP 429 and 5xx are ErrNetwork; other statuses are ErrInvalidToken, with the
// OAuth error code and description if the body has them.
func do(c *http.Client, req *http.Request) ([]byte, *http.Response, error) {
	what := req.Method + " " + req.URL.Host + req.URL.Path
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, query and all
		}
		return nil, nil, network("%s: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", what, err)
	}
	if resp.StatusCode/100 != 2 {
		detail := ""
		if e := parseOAuthError(body); e.Code != "" {
			detail = ": " + e.String()
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, resp, network("%s: %s%s", what, resp.Status, detail)
		}
		return nil, resp, invalid("%s: %s%s", what, resp.Status, detail)
	}
	return body, resp, nil
}

// readLimited reads an answer's body, at most maxResponse bytes.
func readLimited(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, network("reading the answer: %w", err)
	}
	if len(body) > maxResponse {
		return nil, invalid("the answer is larger than %d bytes", maxResponse)
	}
	return body, nil
}

// oauthError is RFC 6749 section 5.2's error answer.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func parseOAuthError(body []byte) oauthError {
	var e oauthError
	_ = json.Unmarshal(body, &e)
	return e
}

func (e oauthError) String() string {
	if e.Description == "" {
		return clean(e.Code)
	}
	return clean(e.Code) + " (" + clean(e.Description) + ")"
}

// secureURL accepts https, and http only to a loopback address (local test issuers).
func secureURL(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}
