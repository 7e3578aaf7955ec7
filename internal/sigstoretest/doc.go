// Package sigstoretest holds in-process fakes of the Sigstore services for unit tests only:
// a certificate authority with CT logs, a transparency log (Rekor v1 and v2 shapes) and a
// timestamp authority, each describing itself as a trusted root lists it; HTTP servers over
// them (Fulcio, Rekor v1 and v2, TSA); a TUF repository (TUFRepo) whose roots rotate and
// whose metadata can be rolled back, frozen, mixed, under-signed, oversized or endless; and a
// FaultHandler that makes any of them down, slow, failing, rate-limited or malformed. The
// fakes produce the same bytes the real services do, from independent code, so that a
// verifier bug is not mirrored by the test data. Only tests import this package.
package sigstoretest
