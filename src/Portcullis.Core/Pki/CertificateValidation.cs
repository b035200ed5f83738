using System.Security.Cryptography.X509Certificates;

namespace Portcullis.Core.Pki;

/// <summary>Why a certificate chain was refused.</summary>
public enum CertificateProblem
{
    /// <summary>The chain is valid.</summary>
    None,
    /// <summary>A certificate of the chain is past its notAfter.</summary>
    Expired,
    /// <summary>A certificate of the chain is before its notBefore.</summary>
    NotYetValid,
    /// <summary>No chain to a trusted CA (or not through one of the configured <c>cacerts</c>).</summary>
    UnknownCa,
    /// <summary>A certificate's signature does not verify with its issuer's key.</summary>
    BadSignature,
    /// <summary>A certificate of the chain is listed in its issuer's CRL.</summary>
    Revoked,
    /// <summary>The end-entity certificate's extendedKeyUsage does not allow IKE.</summary>
    WrongEku,
    /// <summary>An issuing certificate is not a CA (basicConstraints, keyUsage or path length).</summary>
    NotACa,
    /// <summary>A certificate could not be read, or uses something we do not support.</summary>
    Malformed,
    /// <summary>The revocation policy asked for a current, complete CRL and there was none.</summary>
    RevocationUnavailable,
}

/// <summary>
/// How much revocation information a chain needs, as swanctl.conf's <c>remote.revocation</c> says it:
/// <c>strict</c> needs a current, complete CRL for every certificate below the root; <c>ifuri</c> needs one for each
/// certificate that names a CRL distribution point; <c>relaxed</c> (strongSwan's default) fails only a certificate
/// a CRL lists.
/// </summary>
public enum RevocationPolicy
{
    /// <summary>Fail only on a listed certificate.</summary>
    Relaxed,
    /// <summary>Also fail when a certificate with a CRL distribution point has no current CRL.</summary>
    IfUri,
    /// <summary>Also fail when any certificate has no current CRL.</summary>
    Strict,
}

/// <summary>
/// The outcome of <see cref="CredentialStore.Validate(X509Certificate2, IReadOnlyList{X509Certificate2}, IReadOnlyList{X509Certificate2}?, DateTimeOffset)"/>:
/// the problem, a message in plain words naming the certificate, and the chain from the end entity to the trust
/// anchor (as far as it was built).
/// </summary>
public sealed record CertificateValidation(CertificateProblem Problem, string Message, IReadOnlyList<X509Certificate2> Chain)
{
    /// <summary>True when the chain is valid.</summary>
    public bool Ok => Problem == CertificateProblem.None;

    /// <summary>Things worth a log line that did not fail the chain (a stale CRL, a CRL ignored for its signature).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
