package attest

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// MaxRegistryURLLength bounds a registry URL.
const MaxRegistryURLLength = 2048

// RegistryAlias maps a well-known URL of a registry (after canonicalisation) to the
// registry's identity, its canonical URL.
type RegistryAlias struct {
	URL      string
	Identity string
}

// Identities of the registries signet knows.
const (
	RegistryPyPI     = "https://pypi.org"
	RegistryTestPyPI = "https://test.pypi.org"
	RegistryNPM      = "https://registry.npmjs.org"
)

// registryAliases are the well-known upload and index URLs of one registry. TestPyPI and
// PyPI are two registries and never share an identity.
var registryAliases = []RegistryAlias{
	{"https://pypi.org", RegistryPyPI},
	{"https://pypi.org/simple", RegistryPyPI},
	{"https://upload.pypi.org/legacy", RegistryPyPI},
	{"https://test.pypi.org", RegistryTestPyPI},
	{"https://test.pypi.org/simple", RegistryTestPyPI},
	{"https://test.pypi.org/legacy", RegistryTestPyPI},
	{"https://registry.npmjs.org", RegistryNPM},
}

// RegistryAliases lists the URLs that name a known registry, in canonical form, with the
// identity each maps to.
func RegistryAliases() []RegistryAlias {
	return append([]RegistryAlias(nil), registryAliases...)
}

// CanonicalRegistry is the identity of the registry at raw: the URL canonicalised (scheme
// and host in lower case, no default port, no trailing slash, no trailing dot on the host,
// the path percent-encoded one way), then mapped through the alias table, so that
// https://upload.pypi.org/legacy/ and https://PyPI.org:443/simple are both https://pypi.org.
// An unknown registry is its canonical URL. Only http and https URLs without user
// information, query or fragment are registries; a path with empty, "." or ".." segments is
// refused rather than guessed at.
func CanonicalRegistry(raw string) (string, error) {
	c, err := canonicalURL(raw)
	if err != nil {
		return "", err
	}
	// The canonical form is what a signer writes into a statement: it must canonicalise too.
	if len(c) > MaxRegistryURLLength {
		return "", fmt.Errorf("registry URL is longer than %d bytes once percent-encoded", MaxRegistryURLLength)
	}
	for _, a := range registryAliases {
		if a.URL == c {
			return a.Identity, nil
		}
	}
	return c, nil
}

func canonicalURL(raw string) (string, error) {
	if len(raw) > MaxRegistryURLLength {
		return "", fmt.Errorf("registry URL is longer than %d bytes", MaxRegistryURLLength)
	}
	if raw == "" {
		return "", fmt.Errorf("empty registry URL")
	}
	if strings.ContainsFunc(raw, isControlOrSpace) {
		return "", fmt.Errorf("registry URL %q holds spaces or control characters", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("registry URL %q: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("registry URL %q is not an http or https URL", raw)
	}
	if u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("registry URL %q has no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", fmt.Errorf("registry URL %q has user information, a query or a fragment", raw)
	}
	host := strings.ToLower(u.Hostname())
	if h, ok := strings.CutSuffix(host, "."); ok && net.ParseIP(h) == nil {
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/\\%") {
		return "", fmt.Errorf("registry URL %q has an invalid host", raw)
	}
	if net.ParseIP(host) == nil && slices.Contains(strings.Split(host, "."), "") {
		return "", fmt.Errorf("registry URL %q has an empty label in its host name", raw)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("registry URL %q has an invalid port", raw)
		}
		if !(scheme == "https" && n == 443 || scheme == "http" && n == 80) {
			host += ":" + strconv.Itoa(n)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", fmt.Errorf("registry URL %q has an empty port", raw)
	}
	if strings.Contains(strings.ToLower(u.EscapedPath()), "%2f") {
		return "", fmt.Errorf("registry URL %q has an encoded / in its path", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	if path != "" {
		for _, seg := range strings.Split(path[1:], "/") {
			if seg == "" || seg == "." || seg == ".." {
				return "", fmt.Errorf("registry URL %q has an empty, . or .. path segment", raw)
			}
		}
		path = (&url.URL{Path: path}).EscapedPath()
	}
	return scheme + "://" + host + path, nil
}
