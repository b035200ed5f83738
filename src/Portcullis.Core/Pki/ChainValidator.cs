using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Portcullis.Core.Pki;

/// <summary>
/// Builds and checks a certificate path (RFC 5280 §6, the parts IKE needs) the way strongSwan does: from the end
/// entity through the peer's certificates and ours to a self-signed CA we trust, each link checked by name, key
/// identifier and signature; the path must pass through one of the configured <c>cacerts</c> when there are any.
/// Then every certificate's validity at the given time, the issuers' CA status (basicConstraints, keyCertSign,
/// pathLenConstraint), the end entity's extendedKeyUsage (RFC 4945 §5.1.3.12) and revocation by local CRLs.
/// No network, no system trust store, no clock of its own.
/// </summary>
internal sealed class ChainValidator
{
    /// <summary>strongSwan's longest trust path.</summary>
    private const int MaxPathLength = 7;
    /// <summary>How many peer certificates we consider, and how many search steps we take at most.</summary>
    private const int MaxReceived = 16, MaxSteps = 512;

    internal const string ServerAuth = "1.3.6.1.5.5.7.3.1", ClientAuth = "1.3.6.1.5.5.7.3.2", IpsecIke = "1.3.6.1.5.5.7.3.17",
        AnyExtendedKeyUsage = "2.5.29.37.0", IkeIntermediate = "1.3.6.1.5.5.8.2.2";

    internal sealed class Node(X509Certificate2 cert, CertificateInfo info, bool trusted)
    {
        public X509Certificate2 Cert { get; } = cert;
        public CertificateInfo Info { get; } = info;
        public bool Trusted { get; } = trusted;
        public string Name => $"\"{Info.SubjectText}\"";
    }

    private readonly List<Node> _candidates;
    private readonly IReadOnlyList<X509Certificate2>? _constraint;
    private readonly IReadOnlyList<CrlInfo> _crls;
    private readonly DateTimeOffset _now;
    private readonly RevocationPolicy _policy;
    private readonly Dictionary<(Node, Node), bool> _signatures = [];
    private readonly List<string> _notes = [];
    private int _steps;
    private string? _signatureFailure;
    private List<Node>? _constraintMiss;
    private List<Node> _longest = [];

    private ChainValidator(List<Node> candidates, IReadOnlyList<X509Certificate2>? constraint, IReadOnlyList<CrlInfo> crls, DateTimeOffset now, RevocationPolicy policy)
    {
        _candidates = candidates;
        _constraint = constraint;
        _crls = crls;
        _now = now;
        _policy = policy;
    }

    public static CertificateValidation Validate(X509Certificate2 endEntity, IReadOnlyList<X509Certificate2> received, IReadOnlyList<Node> trusted,
        IReadOnlyList<X509Certificate2>? constraint, IReadOnlyList<CrlInfo> crls, DateTimeOffset now, RevocationPolicy policy)
    {
        if (!CertificateInfo.TryParse(endEntity.RawData, out CertificateInfo? eeInfo, out string error))
            return new CertificateValidation(CertificateProblem.Malformed, $"certificate cannot be read: {error}", []);
        var candidates = new List<Node>(trusted);
        var notes = new List<string>();
        int count = 0;
        foreach (X509Certificate2 cert in received)
        {
            if (cert.RawData.AsSpan().SequenceEqual(endEntity.RawData)) continue;
            if (++count > MaxReceived) { notes.Add($"only the first {MaxReceived} certificates from the peer were considered"); break; }
            if (CertificateInfo.TryParse(cert.RawData, out CertificateInfo? info, out string why)) candidates.Add(new Node(cert, info!, trusted: false));
            else notes.Add($"a certificate from the peer was ignored: {why}");
        }
        var validator = new ChainValidator(candidates, constraint, crls, now, policy);
        validator._notes.AddRange(notes);
        return validator.Run(new Node(endEntity, eeInfo!, trusted: false));
    }

    private CertificateValidation Run(Node endEntity)
    {
        var path = new List<Node> { endEntity };
        _longest = [endEntity];
        if (!Search(path))
        {
            if (_constraintMiss is { } miss)
                return Fail(CertificateProblem.UnknownCa, $"certificate {endEntity.Name} chains to {miss[^1].Name}, which is not one of the configured CA certificates ({string.Join(", ", _constraint!.Select(c => $"\"{CertificateIdentity.FormatDistinguishedName(c.SubjectName.RawData)}\""))})", miss);
            if (_signatureFailure is { } bad)
                return Fail(CertificateProblem.BadSignature, bad, _longest);
            Node top = _longest[^1];
            string chain = _longest.Count > 1 ? $" (chain: {Describe(_longest)})" : "";
            return Fail(CertificateProblem.UnknownCa, $"no trusted CA for {top.Name} issued by \"{top.Info.IssuerText}\"{chain}", _longest);
        }

        for (int i = 0; i < path.Count; i++)
        {
            CertificateInfo info = path[i].Info;
            string what = i == 0 ? "certificate" : "CA certificate";
            if (_now < info.NotBefore)
                return Fail(CertificateProblem.NotYetValid, $"{what} {path[i].Name} is not valid before {Time(info.NotBefore)}", path);
            if (_now > info.NotAfter)
                return Fail(CertificateProblem.Expired, $"{what} {path[i].Name} expired on {Time(info.NotAfter)}", path);
        }

        for (int i = 1; i < path.Count; i++)
        {
            CertificateInfo info = path[i].Info;
            string issued = $"but issued {path[i - 1].Name}";
            // A version 1 root without extensions is a CA when we were told to trust it (strongSwan's x509ca/ does the same).
            bool v1Root = !info.HasBasicConstraints && path[i].Trusted && i == path.Count - 1;
            if (!info.IsCa && !v1Root)
                return Fail(CertificateProblem.NotACa, $"certificate {path[i].Name} is not a CA (basicConstraints cA is not set) {issued}", path);
            if (info.KeyUsage is { } usage && (usage & CertificateInfo.KeyCertSign) == 0)
                return Fail(CertificateProblem.NotACa, $"CA certificate {path[i].Name} has keyUsage without keyCertSign {issued}", path);
            int below = 0;
            for (int j = 1; j < i; j++) if (!path[j].Info.SelfIssued) below++;
            if (info.PathLength is { } limit && below > limit)
                return Fail(CertificateProblem.NotACa, $"CA certificate {path[i].Name} allows {limit} intermediate CA(s) below it (pathLenConstraint), the chain has {below}", path);
        }

        if (path[0].Info.ExtendedKeyUsage is { } eku && !eku.Any(p => p is ServerAuth or ClientAuth or IpsecIke or AnyExtendedKeyUsage or IkeIntermediate))
            return Fail(CertificateProblem.WrongEku, $"certificate {path[0].Name} has the wrong EKU for IKE: its extendedKeyUsage allows only {string.Join(", ", eku.Select(PurposeName))}", path);

        for (int i = 0; i + 1 < path.Count; i++)
            if (CheckRevocation(path[i], path[i + 1]) is { } failure) return failure with { Chain = Certificates(path) };

        return new CertificateValidation(CertificateProblem.None, $"certificate {path[0].Name} is valid: {Describe(path)} (trusted)", Certificates(path)) { Notes = _notes };
    }

    private bool Search(List<Node> path)
    {
        Node current = path[^1];
        if (path.Count > MaxPathLength) return false;
        foreach (Node candidate in _candidates)
        {
            if (++_steps > MaxSteps) return false;
            // The same certificate again (a peer presenting a CA certificate as its own) is no issuer of itself.
            if (path.Contains(candidate) || candidate.Info.Der.AsSpan().SequenceEqual(current.Info.Der) || !IssuedBy(current, candidate)) continue;
            if (!SignedBy(current, candidate, out string reason))
            {
                _signatureFailure ??= $"certificate {current.Name} is not signed by {(candidate.Trusted ? "trusted " : "")}CA {candidate.Name}: {reason}";
                continue;
            }
            path.Add(candidate);
            if (path.Count > _longest.Count) _longest = [.. path];
            if (candidate.Trusted && candidate.Info.SelfIssued && SignedBy(candidate, candidate, out _))
            {
                if (SatisfiesConstraint(path)) return true;
                _constraintMiss ??= [.. path];
            }
            else if (Search(path)) return true;
            path.RemoveAt(path.Count - 1);
        }
        return false;
    }

    private static bool IssuedBy(Node child, Node issuer) =>
        DistinguishedName.Matches(issuer.Info.Subject, child.Info.Issuer, wildcards: false)
        && (child.Info.AuthorityKeyIdentifier is not { } aki || issuer.Info.SubjectKeyIdentifier is not { } ski || aki.AsSpan().SequenceEqual(ski));

    private bool SignedBy(Node child, Node issuer, out string reason)
    {
        reason = "";
        if (_signatures.TryGetValue((child, issuer), out bool known))
        {
            if (!known) reason = "signature does not verify";
            return known;
        }
        bool ok = X509Signatures.Verify(child.Info.Tbs.Span, child.Info.SignatureAlgorithm.Span, child.Info.Signature, issuer.Cert, out reason);
        _signatures[(child, issuer)] = ok;
        return ok;
    }

    private bool SatisfiesConstraint(List<Node> path) =>
        _constraint is null || path.Skip(1).Any(n => _constraint.Any(c => c.RawData.AsSpan().SequenceEqual(n.Info.Der)));

    /// <summary>strongSwan's way with local CRLs: one that verifies and lists the serial revokes, stale or not; a CRL that does not verify is ignored.</summary>
    private CertificateValidation? CheckRevocation(Node subject, Node issuer)
    {
        bool good = false;
        foreach (CrlInfo crl in _crls)
        {
            if (!DistinguishedName.Matches(issuer.Info.Subject, crl.Issuer, wildcards: false)) continue;
            if (crl.AuthorityKeyIdentifier is { } aki && issuer.Info.SubjectKeyIdentifier is { } ski && !aki.AsSpan().SequenceEqual(ski)) continue;
            string source = crl.Source.Length > 0 ? $" ({crl.Source})" : "";
            if (issuer.Info.KeyUsage is { } usage && (usage & CertificateInfo.CrlSign) == 0)
            {
                _notes.Add($"CRL of {issuer.Name}{source} ignored: the CA's keyUsage lacks cRLSign");
                continue;
            }
            if (!X509Signatures.Verify(crl.Tbs.Span, crl.SignatureAlgorithm.Span, crl.Signature, issuer.Cert, out string reason))
            {
                _notes.Add($"CRL of {issuer.Name}{source} ignored: {reason}");
                continue;
            }
            foreach (RevokedEntry entry in crl.Entries)
            {
                if (entry.Reason == 8 || !entry.Serial.AsSpan().SequenceEqual(subject.Info.Serial)) continue; // removeFromCRL
                return Fail(CertificateProblem.Revoked,
                    $"certificate {subject.Name} was revoked on {Time(entry.RevocationDate)} ({CrlInfo.ReasonName(entry.Reason)}) (CRL of {issuer.Name}{source})", []);
            }
            if (crl.NextUpdate is { } next && next < _now)
                _notes.Add($"CRL of {issuer.Name}{source} is stale since {Time(next)}: it still revokes what it lists, but vouches for nothing else");
            else if (crl.Complete)
                good = true;
        }
        if (good) return null;
        if (_policy == RevocationPolicy.Strict || _policy == RevocationPolicy.IfUri && subject.Info.HasCrlDistributionPoints)
        {
            string policy = _policy == RevocationPolicy.Strict ? "strict" : "ifuri";
            return Fail(CertificateProblem.RevocationUnavailable,
                $"no current CRL of {issuer.Name} vouches for certificate {subject.Name} (revocation = {policy})", []);
        }
        return null;
    }

    private CertificateValidation Fail(CertificateProblem problem, string message, List<Node> path) =>
        new(problem, message, Certificates(path)) { Notes = _notes };

    private static List<X509Certificate2> Certificates(List<Node> path) => path.Select(n => n.Cert).ToList();

    private static string Describe(List<Node> path) => string.Join(" → ", path.Select(n => n.Name));

    /// <summary><c>2026-01-01 00:00:00Z</c>.</summary>
    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    private static string PurposeName(string oid) => oid switch
    {
        ServerAuth => "serverAuth",
        ClientAuth => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        IpsecIke => "ipsecIKE",
        _ => oid,
    };
}
