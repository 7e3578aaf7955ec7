// Package fulcio owns Fulcio certificates: requesting one (Client, the only network code
// here), chain and SCT checks, and Fulcio extensions -> Identity.
//
// It trusts only the certificate authorities and CT logs it is handed from a parsed
// trusted root (pkg/trust); a certificate, its embedded SCTs and its extensions are
// untrusted input until VerifyChain and VerifySCTs have accepted them. Every function but
// Client's methods is pure and offline: the caller supplies the time at which a certificate must have been
// valid (the signing time from a log entry or a timestamp, never "now").
package fulcio
