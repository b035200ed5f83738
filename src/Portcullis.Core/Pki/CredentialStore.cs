using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Pki;

/// <summary>
/// The certificates, private keys and CRLs of a swanctl directory (strongSwan's layout: <c>x509ca/</c> trusted CA
/// certificates, <c>x509/</c> our own certificates, <c>x509crl/</c> CRLs, <c>private/</c>, <c>rsa/</c>,
/// <c>ecdsa/</c>, <c>pkcs8/</c> private keys), and the questions IKE asks of them: which certificate and key to
/// authenticate with, what to put in a CERTREQ, and whether a peer's certificate chain is to be trusted.
/// <see cref="Load"/> is the one part that touches the file system; everything else works on what was loaded.
/// A loaded store owns its keys and certificates: <see cref="Dispose"/> releases them.
/// </summary>
public sealed class CredentialStore : IDisposable
{
    private sealed record Entry(X509Certificate2 Cert, CertificateInfo Info, string? Path, string? Name);

    private readonly List<Entry> _cas = [];
    private readonly List<Entry> _certs = [];
    private readonly List<(AsymmetricAlgorithm Key, byte[]? Fingerprint, bool Owned)> _keys = [];
    private readonly bool _ownsItems;
    private readonly List<CrlInfo> _crls = [];
    private readonly string? _x509Directory, _x509caDirectory;
    private readonly Dictionary<string, Entry?> _byAbsolutePath = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private CredentialStore(string? directory)
    {
        _ownsItems = directory is not null;
        if (directory is not null)
        {
            _x509Directory = Path.Combine(directory, "x509");
            _x509caDirectory = Path.Combine(directory, "x509ca");
        }
    }

    /// <summary>A store with nothing in it.</summary>
    public static CredentialStore Empty => new(null);

    /// <summary>Trusted CA certificates (<c>x509ca/</c>), in file name order.</summary>
    public IReadOnlyList<X509Certificate2> CaCertificates => _cas.Select(e => e.Cert).ToList();

    /// <summary>Our own certificates (<c>x509/</c>), in file name order.</summary>
    public IReadOnlyList<X509Certificate2> Certificates => _certs.Select(e => e.Cert).ToList();

    /// <summary>The private keys loaded.</summary>
    public int PrivateKeyCount => _keys.Count;

    /// <summary>The CRLs loaded.</summary>
    public int CrlCount => _crls.Count;

    /// <summary>
    /// A store from certificates, keys and DER CRLs in memory (tests, and credentials that come from elsewhere).
    /// They stay the caller's: <see cref="Dispose"/> leaves them alone.
    /// </summary>
    /// <exception cref="ArgumentException">A certificate or CRL Portcullis cannot read.</exception>
    public static CredentialStore FromItems(IEnumerable<X509Certificate2> cas, IEnumerable<X509Certificate2> certs, IEnumerable<AsymmetricAlgorithm> keys,
        IEnumerable<byte[]> crlsDer)
    {
        var store = new CredentialStore(null);
        foreach (X509Certificate2 ca in cas) store._cas.Add(Parsed(ca));
        foreach (X509Certificate2 cert in certs) store._certs.Add(Parsed(cert));
        foreach (AsymmetricAlgorithm key in keys) store._keys.Add((key, PublicKeyFingerprint(key), false));
        int n = 0;
        foreach (byte[] der in crlsDer)
        {
            n++;
            if (!CrlInfo.TryParse(der, $"CRL #{n}", out CrlInfo? crl, out string error)) throw new ArgumentException($"CRL #{n}: {error}", nameof(crlsDer));
            store._crls.Add(crl!);
        }
        return store;

        static Entry Parsed(X509Certificate2 cert) =>
            CertificateInfo.TryParse(cert.RawData, out CertificateInfo? info, out string error)
                ? new Entry(cert, info!, null, null)
                : throw new ArgumentException($"certificate \"{cert.Subject}\": {error}");
    }

    /// <summary>
    /// Reads a swanctl directory: certificates from <c>x509ca/</c> and <c>x509/</c> (PEM, several to a file allowed, or
    /// DER), CRLs from <c>x509crl/</c>, unencrypted private keys from <c>private/</c> (any kind), <c>rsa/</c> (RSA),
    /// <c>ecdsa/</c> (ECDSA) and <c>pkcs8/</c> (PKCS #8). A missing folder is fine. Each file that cannot be used is
    /// one <see cref="ConfigError"/> naming it (line 0) and why; the rest is loaded. Files in the folders of
    /// credentials Portcullis does not support yet (<c>pkcs12/</c>, <c>pubkey/</c>, <c>x509ocsp/</c>, <c>x509aa/</c>,
    /// <c>x509ac/</c>, <c>bliss/</c>) are errors too, rather than being silently ignored.
    /// </summary>
    public static CredentialStore Load(string swanctlDirectory, List<ConfigError> errors)
    {
        var store = new CredentialStore(swanctlDirectory);
        foreach (string path in Files(swanctlDirectory, "x509ca", errors)) store.LoadCertificates(path, store._cas, errors);
        foreach (string path in Files(swanctlDirectory, "x509", errors)) store.LoadCertificates(path, store._certs, errors);
        foreach (string path in Files(swanctlDirectory, "x509crl", errors))
        {
            byte[]? contents = Read(path, errors);
            if (contents is null) continue;
            if (!CredentialParser.TryParseCrls(contents, out List<byte[]> crls, out string error)) { errors.Add(new ConfigError(path, 0, "", error)); continue; }
            foreach (byte[] der in crls)
                if (CrlInfo.TryParse(der, Path.GetFileName(path), out CrlInfo? crl, out _)) store._crls.Add(crl!);
        }
        foreach ((string folder, string? kind) in (ReadOnlySpan<(string, string?)>)[("private", null), ("rsa", "RSA"), ("ecdsa", "ECDSA"), ("pkcs8", null)])
            foreach (string path in Files(swanctlDirectory, folder, errors)) store.LoadKey(path, kind, errors);
        foreach ((string folder, string what) in (ReadOnlySpan<(string, string)>)[("pkcs12", "PKCS #12 containers"), ("pubkey", "raw public keys"),
                     ("x509ocsp", "OCSP signer certificates"), ("x509aa", "attribute authority certificates"), ("x509ac", "attribute certificates"),
                     ("bliss", "BLISS keys")])
            foreach (string path in Files(swanctlDirectory, folder, errors))
                errors.Add(new ConfigError(path, 0, "", $"{what} ({folder}/) are not supported by Portcullis yet"));
        return store;
    }

    /// <summary>
    /// Adds certificates that did not come from the folders (a VICI <c>load-cert</c>, or the certificates a VICI
    /// <c>load-conn</c> carries in <c>certs</c>/<c>cacerts</c>), PEM or DER, under <paramref name="name"/> as if that
    /// were their file name, so <c>certs = NAME</c> finds them. Problems are errors naming <paramref name="origin"/>.
    /// </summary>
    public void AddCertificates(byte[] contents, bool ca, string name, string origin, List<ConfigError> errors)
    {
        if (!CredentialParser.TryParseCertificates(contents, out List<X509Certificate2> certs, out string error))
        {
            errors.Add(new ConfigError(origin, 0, "", error));
            return;
        }
        foreach (X509Certificate2 cert in certs)
        {
            if (!CertificateInfo.TryParse(cert.RawData, out CertificateInfo? info, out string why))
            {
                errors.Add(new ConfigError(origin, 0, "", $"certificate \"{cert.Subject}\": {why}"));
                cert.Dispose();
                continue;
            }
            (ca ? _cas : _certs).Add(new Entry(cert, info!, null, name));
        }
    }

    /// <summary>Adds CRLs (PEM or DER) that did not come from <c>x509crl/</c>.</summary>
    public void AddCrls(byte[] contents, string origin, List<ConfigError> errors)
    {
        if (!CredentialParser.TryParseCrls(contents, out List<byte[]> crls, out string error))
        {
            errors.Add(new ConfigError(origin, 0, "", error));
            return;
        }
        foreach (byte[] der in crls)
        {
            if (CrlInfo.TryParse(der, origin, out CrlInfo? crl, out string why)) _crls.Add(crl!);
            else errors.Add(new ConfigError(origin, 0, "", why));
        }
    }

    /// <summary>
    /// Adds an unencrypted private key that did not come from the folders (a VICI <c>load-key</c>: swanctl sends the
    /// DER encoding); <paramref name="kind"/> RSA or ECDSA insists on that kind, null takes either.
    /// </summary>
    public void AddPrivateKey(ReadOnlySpan<byte> contents, string? kind, string origin, List<ConfigError> errors)
    {
        if (!CredentialParser.TryParsePrivateKey(contents, out AsymmetricAlgorithm? key, out string error))
        {
            errors.Add(new ConfigError(origin, 0, "", error));
            return;
        }
        if (kind == "RSA" && key is not RSA || kind == "ECDSA" && key is not ECDsa)
        {
            errors.Add(new ConfigError(origin, 0, "", $"not an {kind} key"));
            key!.Dispose();
            return;
        }
        _keys.Add((key!, PublicKeyFingerprint(key!), true));
    }

    private static IEnumerable<string> Files(string root, string folder, List<ConfigError> errors)
    {
        string directory = Path.Combine(root, folder);
        if (!Directory.Exists(directory)) return [];
        try
        {
            return Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigError(directory, 0, "", $"cannot list the folder: {e.Message}"));
            return [];
        }
    }

    private static byte[]? Read(string path, List<ConfigError> errors)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigError(path, 0, "", $"cannot read: {e.Message}"));
            return null;
        }
    }

    private void LoadCertificates(string path, List<Entry> into, List<ConfigError> errors)
    {
        byte[]? contents = Read(path, errors);
        if (contents is null) return;
        if (!CredentialParser.TryParseCertificates(contents, out List<X509Certificate2> certs, out string error))
        {
            errors.Add(new ConfigError(path, 0, "", error));
            return;
        }
        string name = Path.GetFileName(path);
        foreach (X509Certificate2 cert in certs)
        {
            CertificateInfo.TryParse(cert.RawData, out CertificateInfo? info, out _);
            var entry = new Entry(cert, info!, Path.GetFullPath(path), name);
            into.Add(entry);
            _byAbsolutePath.TryAdd(entry.Path!, entry);
        }
    }

    private void LoadKey(string path, string? kind, List<ConfigError> errors)
    {
        byte[] contents;
        try
        {
            using FileStream stream = File.OpenRead(path);
            if (stream.Length > 1 << 20) { errors.Add(new ConfigError(path, 0, "", "larger than 1 MiB, not a private key")); return; }
            // The key file's bytes are a secret: read them into a pinned buffer that is zeroed once parsed.
            contents = GC.AllocateArray<byte>((int)stream.Length, pinned: true);
            stream.ReadExactly(contents);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigError(path, 0, "", $"cannot read: {e.Message}"));
            return;
        }
        try
        {
            if (!CredentialParser.TryParsePrivateKey(contents, out AsymmetricAlgorithm? key, out string error))
            {
                errors.Add(new ConfigError(path, 0, "", error));
                return;
            }
            if (kind == "RSA" && key is not RSA || kind == "ECDSA" && key is not ECDsa)
            {
                errors.Add(new ConfigError(path, 0, "", $"not an {kind} key (keys of any kind go in private/)"));
                key!.Dispose();
                return;
            }
            _keys.Add((key!, PublicKeyFingerprint(key!), true));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
        }
    }

    /// <summary>
    /// Our certificate named in <c>local.certs</c>: a file name relative to <c>x509/</c> (the first certificate of
    /// that file) or an absolute path. An absolute path outside the loaded folders is read once, on first use, and
    /// kept; null when there is no such certificate.
    /// </summary>
    public X509Certificate2? FindCertificate(string fileOrPath) => Find(fileOrPath, _certs, _x509Directory);

    /// <summary>A CA certificate named in <c>remote.cacerts</c>: relative to <c>x509ca/</c>, or an absolute path.</summary>
    public X509Certificate2? FindCaCertificate(string fileOrPath) => Find(fileOrPath, _cas, _x509caDirectory);

    private X509Certificate2? Find(string fileOrPath, List<Entry> entries, string? directory)
    {
        if (!Path.IsPathRooted(fileOrPath))
        {
            Entry? byName = entries.FirstOrDefault(e => e.Name == fileOrPath);
            if (byName is not null || directory is null) return byName?.Cert;
            fileOrPath = Path.Combine(directory, fileOrPath);
        }
        string full = Path.GetFullPath(fileOrPath);
        lock (_lock)
        {
            if (_byAbsolutePath.TryGetValue(full, out Entry? known)) return known?.Cert;
            Entry? loaded = null;
            var ignored = new List<ConfigError>();
            byte[]? contents = File.Exists(full) ? Read(full, ignored) : null;
            if (contents is not null && CredentialParser.TryParseCertificates(contents, out List<X509Certificate2> certs, out _))
            {
                CertificateInfo.TryParse(certs[0].RawData, out CertificateInfo? info, out _);
                loaded = new Entry(certs[0], info!, full, Path.GetFileName(full));
                foreach (X509Certificate2 extra in certs.Skip(1)) extra.Dispose();
            }
            _byAbsolutePath[full] = loaded;
            return loaded?.Cert;
        }
    }

    /// <summary>Our certificate (one with a private key in the store) whose subject or subjectAltName holds <paramref name="id"/>.</summary>
    public X509Certificate2? FindCertificateFor(Identity id) =>
        _certs.FirstOrDefault(e => CertificateIdentity.Matches(e.Info, id, allowWildcards: true) && FindPrivateKey(e.Cert) is not null)?.Cert;

    /// <summary>
    /// The private key for <paramref name="cert"/>: the loaded key with the same public key, or the certificate's own
    /// key if it carries one. The store owns the key: do not dispose it.
    /// </summary>
    public AsymmetricAlgorithm? FindPrivateKey(X509Certificate2 cert)
    {
        byte[]? wanted = PublicKeyFingerprint(cert);
        lock (_lock)
        {
            if (wanted is not null)
                foreach ((AsymmetricAlgorithm key, byte[]? have, _) in _keys)
                    if (have is not null && have.AsSpan().SequenceEqual(wanted)) return key;
            if (!cert.HasPrivateKey) return null;
            // Kept with the loaded keys, so the next lookup finds the same object by its public key.
            AsymmetricAlgorithm? own = (AsymmetricAlgorithm?)cert.GetRSAPrivateKey() ?? cert.GetECDsaPrivateKey();
            if (own is not null) _keys.Add((own, PublicKeyFingerprint(own), true));
            return own;
        }
    }

    /// <summary>SHA-256 over the public parameters (RSA modulus and exponent; EC curve and point), so a key and a certificate compare whatever their encodings.</summary>
    private static byte[]? PublicKeyFingerprint(X509Certificate2 cert)
    {
        try
        {
            using RSA? rsa = cert.GetRSAPublicKey();
            if (rsa is not null) return PublicKeyFingerprint(rsa);
            using ECDsa? ec = cert.GetECDsaPublicKey();
            return ec is null ? null : PublicKeyFingerprint(ec);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static byte[]? PublicKeyFingerprint(AsymmetricAlgorithm key)
    {
        try
        {
            switch (key)
            {
                case RSA rsa:
                {
                    RSAParameters p = rsa.ExportParameters(false);
                    return SHA256.HashData([.. "rsa"u8, .. p.Modulus!, 0, .. p.Exponent!]);
                }
                case ECDsa ec:
                {
                    ECParameters p = ec.ExportParameters(false);
                    string curve = p.Curve.Oid?.Value ?? p.Curve.Oid?.FriendlyName ?? "";
                    return SHA256.HashData([.. System.Text.Encoding.ASCII.GetBytes("ec" + curve), 0, .. p.Q.X!, .. p.Q.Y!]);
                }
                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// What a CERTREQ carries (RFC 7296 §3.7): the SHA-1 of each CA's SubjectPublicKeyInfo, for <paramref name="cas"/>
    /// (a connection's <c>remote.cacerts</c>) or, when null, every CA in the store. Duplicates are left out.
    /// </summary>
    public IReadOnlyList<byte[]> CertificateAuthorityHashes(IReadOnlyList<X509Certificate2>? cas)
    {
        var hashes = new List<byte[]>();
        IEnumerable<byte[]> all = cas is null
            ? _cas.Select(e => e.Info.SpkiSha1)
            : cas.Select(c => CertificateInfo.TryParse(c.RawData, out CertificateInfo? i, out _) ? i!.SpkiSha1 : null).OfType<byte[]>();
        foreach (byte[] hash in all)
            if (!hashes.Any(h => h.AsSpan().SequenceEqual(hash))) hashes.Add(hash);
        return hashes;
    }

    /// <summary>
    /// The CAs of the store a received CERTREQ's Certification Authority field (concatenated 20-byte SHA-1 hashes)
    /// asks for; a trailing partial hash is ignored.
    /// </summary>
    public IReadOnlyList<X509Certificate2> CasMatching(ReadOnlySpan<byte> certReqData)
    {
        var found = new List<X509Certificate2>();
        for (int i = 0; i + 20 <= certReqData.Length; i += 20)
        {
            ReadOnlySpan<byte> hash = certReqData.Slice(i, 20);
            foreach (Entry ca in _cas)
                if (!found.Contains(ca.Cert) && ca.Info.SpkiSha1.AsSpan().SequenceEqual(hash)) found.Add(ca.Cert);
        }
        return found;
    }

    /// <summary>
    /// The CA certificates of the store between <paramref name="cert"/> and its self-signed root, nearest first (the
    /// intermediates to send with it in CERT payloads); empty when it is issued by a root directly or no issuer is
    /// known.
    /// </summary>
    public IReadOnlyList<X509Certificate2> IntermediatesFor(X509Certificate2 cert)
    {
        var chain = new List<X509Certificate2>();
        if (!CertificateInfo.TryParse(cert.RawData, out CertificateInfo? current, out _)) return chain;
        for (int depth = 0; depth < 7; depth++)
        {
            Entry? issuer = _cas.FirstOrDefault(ca => DistinguishedName.Matches(ca.Info.Subject, current!.Issuer, wildcards: false)
                && (current.AuthorityKeyIdentifier is not { } aki || ca.Info.SubjectKeyIdentifier is not { } ski || aki.AsSpan().SequenceEqual(ski))
                && X509Signatures.Verify(current.Tbs.Span, current.SignatureAlgorithm.Span, current.Signature, ca.Cert, out _));
            if (issuer is null || issuer.Info.SelfIssued) break;
            chain.Add(issuer.Cert);
            current = issuer.Info;
        }
        return chain;
    }

    /// <summary>
    /// Checks a peer's certificate chain with strongSwan's default revocation policy (<see cref="RevocationPolicy.Relaxed"/>);
    /// see <see cref="Validate(X509Certificate2, IReadOnlyList{X509Certificate2}, IReadOnlyList{X509Certificate2}?, DateTimeOffset, RevocationPolicy)"/>.
    /// </summary>
    public CertificateValidation Validate(X509Certificate2 endEntity, IReadOnlyList<X509Certificate2> intermediates,
        IReadOnlyList<X509Certificate2>? trustAnchors, DateTimeOffset now) =>
        Validate(endEntity, intermediates, trustAnchors, now, RevocationPolicy.Relaxed);

    /// <summary>
    /// Checks a peer's certificate chain: from <paramref name="endEntity"/> through <paramref name="intermediates"/>
    /// (the peer's other CERT payloads) and the store's CAs to a self-signed CA of <c>x509ca/</c>, passing through one
    /// of <paramref name="trustAnchors"/> (a connection's <c>remote.cacerts</c>, which are trusted too) unless that is
    /// null. Every link by name, key identifier and signature; every certificate valid at <paramref name="now"/>;
    /// issuers with basicConstraints cA (a version 1 root from <c>x509ca/</c> without extensions is accepted, as
    /// strongSwan does), keyCertSign when keyUsage is present, and their pathLenConstraint; the end entity's
    /// extendedKeyUsage, when present, must include serverAuth, clientAuth, ipsecIKE, iKEIntermediate or
    /// anyExtendedKeyUsage. Revocation as strongSwan's revocation plugin does with local CRLs: a CRL of the issuer whose
    /// signature verifies and that lists the serial revokes it, even when the CRL is past its nextUpdate (noted); a CRL
    /// whose signature does not verify is ignored (noted); <paramref name="revocation"/> says whether a missing current
    /// CRL fails the chain. Never throws on malformed certificates.
    /// </summary>
    public CertificateValidation Validate(X509Certificate2 endEntity, IReadOnlyList<X509Certificate2> intermediates,
        IReadOnlyList<X509Certificate2>? trustAnchors, DateTimeOffset now, RevocationPolicy revocation)
    {
        var trusted = _cas.Select(e => new ChainValidator.Node(e.Cert, e.Info, trusted: true)).ToList();
        foreach (X509Certificate2 anchor in trustAnchors ?? [])
            if (!trusted.Any(n => n.Info.Der.AsSpan().SequenceEqual(anchor.RawData))
                && CertificateInfo.TryParse(anchor.RawData, out CertificateInfo? info, out _))
                trusted.Add(new ChainValidator.Node(anchor, info!, trusted: true));
        return ChainValidator.Validate(endEntity, intermediates, trusted, trustAnchors, _crls, now, revocation);
    }

    /// <summary>Releases what the store loaded or made (not what <see cref="FromItems"/> was given).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach ((AsymmetricAlgorithm key, _, bool owned) in _keys)
                if (owned) key.Dispose();
            _keys.Clear();
            IEnumerable<Entry> loaded = _byAbsolutePath.Values.OfType<Entry>();
            foreach (Entry e in _ownsItems ? _cas.Concat(_certs).Concat(loaded) : loaded) e.Cert.Dispose();
        }
    }
}
