// Package awsfake provides loopback fakes of AWS STS and the Amazon Bedrock
// runtime for tests anywhere in the repository. It is an ordinary package so
// that tests in several packages can share it, but only tests import it.
//
// The fakes speak the real wire protocols, so the real aws-sdk-go-v2 clients
// can be pointed at them with BaseEndpoint:
//
//   - STS answers the AWS Query protocol (AssumeRole,
//     AssumeRoleWithWebIdentity, GetCallerIdentity) in XML, with real STS error
//     documents (AccessDenied, ExpiredToken, ...).
//   - Bedrock answers Converse (JSON), ConverseStream
//     (application/vnd.amazon.eventstream framing, encoded with aws-sdk-go-v2's
//     eventstream Encoder) and InvokeModel (raw bodies), with restJson1 errors
//     carrying X-Amzn-ErrorType. It runs Prompt management prompts added
//     with AddPrompt and validates their variables as the service does.
//
// Both share an IAM: the principals (users, roles and their trust rules) and
// every credential issued so far. Each request's SigV4 signature is verified
// against the secret of the access key that signed it, so a test that reads
// a recorded call's Principal knows exactly which identity signed it. Temporary
// credentials minted by the fake encode the role name in their access key id
// (ASIA<ROLE>...), so failures are readable too.
//
// Every handler waits a few milliseconds (Options.Latency) before answering:
// the Go AWS SDK occasionally breaks a connection when a loopback server
// answers instantly, and real services never do.
package awsfake
