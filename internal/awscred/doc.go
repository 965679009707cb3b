// Package awscred resolves the AWS credentials of one deployment (one
// model_list entry) from its litellm_params, for the Bedrock adapter and any
// other AWS client built per deployment.
//
// A Resolver is built once, from the ambient aws.Config (the Lambda execution
// role, the environment, EKS IRSA). For each deployment's Spec it returns an
// aws.Config whose region and credentials are that deployment's:
//
//   - Region: Spec.Region, else the ambient region.
//   - Source identity, first match wins: explicit keys (a partial set is an
//     error, never a silent fallback to the ambient chain); a shared-config
//     profile; a web identity token with its role (Spec.WebIdentityToken +
//     Spec.RoleARN, or the ambient AWS_WEB_IDENTITY_TOKEN_FILE +
//     AWS_ROLE_ARN of EKS IRSA); else the ambient chain.
//   - Spec.RoleARN (aws_role_name): STS AssumeRole from the source identity,
//     with the configured session name (default: the gateway's name, made
//     valid for STS) and external id. Chaining from an assumed role works as
//     STS allows it. When the source identity already is the target role —
//     IRSA's AWS_ROLE_ARN, or the assumed-role ARN GetCallerIdentity reports
//     for an ambient or profile identity — the role is not assumed again:
//     a role may not trust itself, and re-assuming it was the bug behind a
//     long series of fixes in another gateway.
//
// Nothing touches the network until a client first asks for credentials, so
// building every deployment at cold start is free. Temporary credentials are
// cached on the Resolver per (source identity, role, session name, external
// id, region, STS endpoint) and refreshed ahead of expiry by exactly one
// caller while the others keep using the still-valid ones; a burst of first
// requests makes one STS call. An STS failure fails the request with an
// *Error naming the role, the source and STS's reason; it never falls back to
// other credentials.
//
// Debug logs say which identity assumed which role. Secrets, session tokens
// and web identity tokens are never logged.
package awscred
