// Package configsource reads the gateway's config.yaml from where the
// deployment keeps it, and tells the caller when it has changed, so that an
// upload (`make update-config`) changes the models without a redeploy.
//
// A location is one of:
//
//   - s3://BUCKET/KEY: an S3 object, read with GetObject. The ETag is kept
//     and sent as If-None-Match on every later check, so an unchanged object
//     costs a 304 with no body.
//   - ssm:NAME (usually ssm:/path/name): an SSM parameter, read with
//     GetParameter WithDecryption (SecureString works); its version is kept.
//     Parameter Store has no conditional read, so a check transfers the
//     value, at most 8 KB.
//   - anything else: a local file path.
//
// A Source reads a list of locations, merged by the caller in order. The
// file name it reports for each is the location as written (s3://..., ssm:...
// or the path), so config errors still read "s3://bucket/config.yaml:12: ...".
//
// Source.Current returns the files and whether they changed since the last
// call. It checks lazily, on the caller's goroutine, at most once per TTL
// (DefaultTTL unless told otherwise): Lambda freezes the container between
// invocations, so there is no background refresh. One check runs at a time;
// callers that arrive during a check get the previous files at once instead
// of waiting for it. A failed check keeps the previous files and is retried
// after the next TTL.
package configsource
