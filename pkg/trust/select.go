package trust

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
)

// Service is one service a SigningConfig lists.
type Service struct {
	URL             string
	MajorAPIVersion uint32
	Operator        string
	ValidFor        TimeRange
}

// Supported API versions of each kind of service.
var (
	supportedCA   = []uint32{1}
	supportedOIDC = []uint32{1}
	supportedTlog = []uint32{1, 2}
	supportedTSA  = []uint32{1}
)

// Services is what signing uses: one CA (zero when the config lists none, as for an
// enterprise CA whose users sign with their own keys), the OIDC issuer (nil when the config
// lists none), and the logs and timestamp authorities to write to.
type Services struct {
	CA    Service
	OIDC  *Service
	Tlogs []Service
	TSAs  []Service
}

// Select picks services at time now, as the SigningConfig v0.2 specification says: for the CA
// and the OIDC issuer one service with a supported API version, valid now, newest start;
// for logs and TSAs only the highest supported API version, at most one service per
// operator, then the selector (ALL: every one; ANY: one; EXACT: count), failing if too few.
func (sc *SigningConfig) Select(now time.Time) (*Services, error) {
	pb := sc.pb
	out := &Services{}
	if len(pb.GetCaUrls()) > 0 {
		ca, err := pickOne("certificate authority", pb.GetCaUrls(), supportedCA, now)
		if err != nil {
			return nil, err
		}
		out.CA = *ca
	}
	var err error
	if len(pb.GetOidcUrls()) > 0 {
		if out.OIDC, err = pickOne("OIDC issuer", pb.GetOidcUrls(), supportedOIDC, now); err != nil {
			return nil, err
		}
	}
	if out.Tlogs, err = pickMany("transparency log", pb.GetRekorTlogUrls(), supportedTlog, pb.GetRekorTlogConfig(), now); err != nil {
		return nil, err
	}
	if out.TSAs, err = pickMany("timestamp authority", pb.GetTsaUrls(), supportedTSA, pb.GetTsaConfig(), now); err != nil {
		return nil, err
	}
	return out, nil
}

func toService(s *pbtrust.Service) Service {
	// parseTimeRange cannot fail here: NewSigningConfig validated every window.
	r, _ := parseTimeRange(s.GetValidFor())
	return Service{URL: s.GetUrl(), MajorAPIVersion: s.GetMajorApiVersion(), Operator: s.GetOperator(), ValidFor: r}
}

// candidates returns the services valid at now with a supported version, newest start first.
func candidates(list []*pbtrust.Service, supported []uint32, now time.Time) []Service {
	var out []Service
	for _, s := range list {
		svc := toService(s)
		if slices.Contains(supported, svc.MajorAPIVersion) && svc.ValidFor.Contains(now) {
			out = append(out, svc)
		}
	}
	slices.SortStableFunc(out, func(a, b Service) int { return b.ValidFor.Start.Compare(a.ValidFor.Start) })
	return out
}

func pickOne(kind string, list []*pbtrust.Service, supported []uint32, now time.Time) (*Service, error) {
	c := candidates(list, supported, now)
	if len(c) == 0 {
		return nil, fmt.Errorf("the signing config lists no %s valid now with a supported API version (%v)", kind, supported)
	}
	return &c[0], nil
}

func pickMany(kind string, list []*pbtrust.Service, supported []uint32, cfg *pbtrust.ServiceConfiguration, now time.Time) ([]Service, error) {
	c := candidates(list, supported, now)
	if len(list) == 0 {
		return nil, nil // the config does not use this kind of service
	}
	if len(c) == 0 {
		return nil, fmt.Errorf("the signing config lists no %s valid now with a supported API version (%v)", kind, supported)
	}
	top := slices.MaxFunc(c, func(a, b Service) int { return cmp.Compare(a.MajorAPIVersion, b.MajorAPIVersion) }).MajorAPIVersion
	var picked []Service
	seen := map[string]bool{}
	for _, s := range c {
		if s.MajorAPIVersion != top {
			continue
		}
		// Services without an operator are each their own operator.
		if s.Operator != "" {
			if seen[s.Operator] {
				continue
			}
			seen[s.Operator] = true
		}
		picked = append(picked, s)
	}
	switch cfg.GetSelector() {
	case pbtrust.ServiceSelector_ALL:
		return picked, nil
	case pbtrust.ServiceSelector_ANY, pbtrust.ServiceSelector_SERVICE_SELECTOR_UNDEFINED:
		return picked[:1], nil
	case pbtrust.ServiceSelector_EXACT:
		n := int(cfg.GetCount())
		if n < 1 {
			return nil, fmt.Errorf("the signing config asks for EXACT %d %ss", n, kind)
		}
		if len(picked) < n {
			usable := fmt.Sprintf("%d are", len(picked))
			if len(picked) == 1 {
				usable = "1 is"
			}
			return nil, fmt.Errorf("the signing config asks for %d %ss from distinct operators, but only %s usable (API version %d, valid now)", n, kind, usable, top)
		}
		return picked[:n], nil
	}
	return nil, fmt.Errorf("unknown %s selector %v", kind, cfg.GetSelector())
}
