// Package sigstoretest holds in-process fakes of the Sigstore services for unit tests only:
// a certificate authority with a CT log, a transparency log (Rekor v1 and v2 shapes), a
// timestamp authority, and a builder for the trusted root that describes them. The fakes
// produce the same bytes the real services do, from independent code, so that a verifier
// bug is not mirrored by the test data. Only tests import this package.
package sigstoretest
