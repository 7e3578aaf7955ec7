// Package tuf owns getting Sigstore trust material (trusted_root.json and
// signing_config.v0.2.json) from an instance's TUF repository: the first fetch from an
// initial root, root rotation, refreshes when the cached metadata expires, a per-repository
// cache that concurrent processes share safely, offline use of that cache, and the
// registration of private instances by URL and initial root.
//
// What it trusts: only the instance's initial root (for public-good and staging the
// root.json embedded here; for a registered instance the root given to Register, kept in the
// cache directory), and what a threshold of keys delegated from it signed. Not the network:
// every file is checked by the TUF client workflow (TUF specification 5.3-5.7: signatures and
// thresholds, version rollback, expiry, snapshot and target lengths and hashes), and every
// download has a size limit and a timeout. Not the cache either: cached metadata is verified
// again from the initial root on each use, offline too, and refused if it does not verify.
// Without network access, a built-in instance falls back to the material embedded in
// pkg/trust, and the result says how old it is.
//
// A refused repository answer is an error that names the attack: "rollback attack: timestamp
// version 3 is lower than the trusted version 5", "freeze attack: the timestamp metadata
// (version 4) expired on ...", "mix-and-match attack: snapshot version 2 does not match the
// timestamp's meta (version 3)", "target trusted_root.json does not match its length/hash in
// the targets metadata", "too few valid signatures on root version 3 by the keys of root
// version 2 (1 of threshold 2)", "metadata timestamp.json is larger than 16384 bytes".
//
// The CLI maps its flags onto this package: Fetch(ctx, PublicGood() or Staging() or
// Lookup(dir, URL), Options{...}) for sign and verify (--offline: Options.Offline), a forced
// Fetch for "signet trust update", Register for "signet trust init --tuf-url URL --tuf-root
// ROOT.json", and DefaultCacheDir unless --tuf-cache or $SIGNET_TUF_CACHE names the cache.
package tuf
