package fulcio_test

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	// The SAN of the conformance suite's GitHub Actions beacon.
	beaconWorkflow = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	githubIssuer   = "https://token.actions.githubusercontent.com"
	// ctfe.sigstore.dev/2022, the public-good CT log that signed the happy-path SCT.
	publicGoodCTLog2022 = "dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e"
	// The test instance's CT log (tesseract) in bundle-with-sct-with-extensions.
	tesseractCTLog = "2ca5cd27a89484c38e74868d2d3bde1e7852afe7e2771e6f89c7bd667dfcf8ef"
)

func TestConformanceHappyPathV03(t *testing.T) {
	c := loadCase(t, "happy-path-v0.3")

	chain, ca, err := fulcio.VerifyChain(c.leaf, c.root.CertificateAuthorities, c.signedAt)
	require.NoError(t, err)
	require.Len(t, chain, 3)
	assert.Equal(t, "sigstore-intermediate", chain[1].Subject.CommonName)
	assert.Equal(t, "sigstore", chain[2].Subject.CommonName)
	assert.Equal(t, "https://fulcio.sigstore.dev", ca.URI)

	ids, err := fulcio.VerifySCTs(c.leaf, chain[1], c.root.CTLogs, 1, time.Now())
	require.NoError(t, err)
	require.Len(t, ids, 1)
	assert.Equal(t, publicGoodCTLog2022, hex.EncodeToString(ids[0]))

	// Tampered twins: the same leaf an hour later, against the wrong issuer, or with
	// only the retired CT log trusted.
	_, _, err = fulcio.VerifyChain(c.leaf, c.root.CertificateAuthorities, c.signedAt.Add(time.Hour))
	assert.ErrorIs(t, err, fulcio.ErrCertificateNotValid)
	_, err = fulcio.VerifySCTs(c.leaf, chain[2], c.root.CTLogs, 1, time.Now())
	assert.ErrorIs(t, err, fulcio.ErrSCTSignature)
	var retired []*trust.Log
	for _, l := range c.root.CTLogs {
		if hex.EncodeToString(l.ID) != publicGoodCTLog2022 {
			retired = append(retired, l)
		}
	}
	require.Len(t, retired, 1)
	_, err = fulcio.VerifySCTs(c.leaf, chain[1], retired, 1, time.Now())
	assert.ErrorIs(t, err, fulcio.ErrUnknownCTLog)
}

func TestConformanceHappyPathIdentity(t *testing.T) {
	c := loadCase(t, "happy-path-v0.3")
	id, err := fulcio.IdentityFromCertificate(c.leaf)
	require.NoError(t, err)
	const sha = "c7b3dfb335f051e1c86bda4c716fac97df62ad81"
	const repo = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"
	assert.Equal(t, &fulcio.Identity{
		SAN:     beaconWorkflow,
		SANType: fulcio.SANTypeURI,
		Issuer:  githubIssuer,
		Extensions: fulcio.Extensions{
			Issuer:                              githubIssuer,
			GithubWorkflowTrigger:               "workflow_dispatch",
			GithubWorkflowSHA:                   sha,
			GithubWorkflowName:                  "Extremely dangerous OIDC beacon",
			GithubWorkflowRepository:            "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
			GithubWorkflowRef:                   "refs/heads/main",
			BuildSignerURI:                      beaconWorkflow,
			BuildSignerDigest:                   sha,
			RunnerEnvironment:                   "github-hosted",
			SourceRepositoryURI:                 repo,
			SourceRepositoryDigest:              sha,
			SourceRepositoryRef:                 "refs/heads/main",
			SourceRepositoryIdentifier:          "632596897",
			SourceRepositoryOwnerURI:            "https://github.com/sigstore-conformance",
			SourceRepositoryOwnerIdentifier:     "131804563",
			BuildConfigURI:                      beaconWorkflow,
			BuildConfigDigest:                   sha,
			BuildTrigger:                        "workflow_dispatch",
			RunInvocationURI:                    repo + "/actions/runs/8347481628/attempts/1",
			SourceRepositoryVisibilityAtSigning: "public",
		},
	}, id)

	for name, want := range map[string]string{
		"issuer":                    githubIssuer,
		"issuerV1":                  githubIssuer,
		"github-workflow-sha":       sha,
		"build-signer-uri":          beaconWorkflow,
		"sourceRepositoryOwnerURI":  "https://github.com/sigstore-conformance",
		"1.3.6.1.4.1.57264.1.17":    "131804563",
		"1.3.6.1.4.1.57264.1.22":    "public",
		"github-workflow-trigger":   "workflow_dispatch",
		"source-repository-ref":     "refs/heads/main",
		"runner_environment":        "github-hosted",
		"deployment-environment":    "", // absent from this certificate
		"githubWorkflowRepository":  "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
		"source-repository-digest":  sha,
		"sourceRepositoryURI":       repo,
		"build-config-digest":       sha,
		"1.3.6.1.4.1.57264.1.15":    "632596897",
		"buildTrigger":              "workflow_dispatch",
		"githubWorkflowName":        "Extremely dangerous OIDC beacon",
		"github-workflow-ref":       "refs/heads/main",
		"build-signer-digest":       sha,
		"buildConfigURI":            beaconWorkflow,
		"run-invocation-uri":        repo + "/actions/runs/8347481628/attempts/1",
		"source-repository-identif": "", // not a name
	} {
		t.Run(name, func(t *testing.T) {
			oid, ok := fulcio.ExtensionByName(name)
			if name == "source-repository-identif" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			v, present, err := fulcio.ExtensionValue(c.leaf, oid)
			require.NoError(t, err)
			assert.Equal(t, want != "", present)
			assert.Equal(t, want, v)
		})
	}
}

func TestConformanceSCTWithExtensions(t *testing.T) {
	c := loadCase(t, "bundle-with-sct-with-extensions")
	chain, _, err := fulcio.VerifyChain(c.leaf, c.root.CertificateAuthorities, c.signedAt)
	require.NoError(t, err)
	require.Len(t, chain, 2, "the test instance signs leaves with its root")
	ids, err := fulcio.VerifySCTs(c.leaf, chain[1], c.root.CTLogs, 1, time.Now())
	require.NoError(t, err)
	require.Len(t, ids, 1)
	assert.Equal(t, tesseractCTLog, hex.EncodeToString(ids[0]))

	// Twin: the same SCT is not accepted by the public-good CT logs.
	pg := loadCase(t, "happy-path-v0.3")
	_, err = fulcio.VerifySCTs(c.leaf, chain[1], pg.root.CTLogs, 1, time.Now())
	assert.ErrorIs(t, err, fulcio.ErrUnknownCTLog)
}

func TestConformanceInvalidCTKey(t *testing.T) {
	c := loadCase(t, "invalid-ct-key_fail")
	// The chain is fine: the case fails only for its CT key.
	chain, _, err := fulcio.VerifyChain(c.leaf, c.root.CertificateAuthorities, c.signedAt)
	require.NoError(t, err)
	_, err = fulcio.VerifySCTs(c.leaf, chain[1], c.root.CTLogs, 1, time.Now())
	require.Error(t, err)
	assert.ErrorIs(t, err, fulcio.ErrUnknownCTLog)
	assert.Contains(t, err.Error(), "only 0 of the 1 required CT log operators")

	// Twin: the same leaf verifies against the public-good CT logs.
	pg := loadCase(t, "happy-path-v0.3")
	ids, err := fulcio.VerifySCTs(c.leaf, chain[1], pg.root.CTLogs, 1, time.Now())
	require.NoError(t, err)
	assert.Equal(t, publicGoodCTLog2022, hex.EncodeToString(ids[0]))
}
