using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Crypto.Signatures;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// AUTH payloads with digital signatures (RFC 7296 §2.15, §3.8; RFC 7427; RFC 4754). Both sides sign their
/// SignedOctets = RealMessage | NonceOfTheOtherSide | prf(SK_p, RestOfIDPayload) with their private key.
/// </summary>
public static class SignatureAuthentication
{
    /// <summary>
    /// InitiatorSignedOctets or ResponderSignedOctets (RFC 7296 §2.15): this side's IKE_SA_INIT message as sent, the
    /// other side's nonce data, and prf(SK_pi or SK_pr, this side's ID payload body).
    /// </summary>
    /// <param name="prf">The IKE SA's PRF.</param>
    /// <param name="realMessage">The signer's IKE_SA_INIT message (initiator: message 1; responder: message 2).</param>
    /// <param name="otherNonce">The other side's nonce data.</param>
    /// <param name="skP">SK_pi for the initiator's octets, SK_pr for the responder's.</param>
    /// <param name="idBody">The signer's ID payload body (ID type, reserved, data).</param>
    public static byte[] SignedOctets(PrfTransform prf, ReadOnlySpan<byte> realMessage, ReadOnlySpan<byte> otherNonce, ReadOnlySpan<byte> skP,
        ReadOnlySpan<byte> idBody)
    {
        using IPrf idPrf = prf.Create(skP);
        var octets = new byte[realMessage.Length + otherNonce.Length + idPrf.OutputSize];
        realMessage.CopyTo(octets);
        otherNonce.CopyTo(octets.AsSpan(realMessage.Length));
        idPrf.Compute(idBody, octets.AsSpan(realMessage.Length + otherNonce.Length));
        return octets;
    }

    /// <summary>
    /// The hash numbers of a SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 §4): 16-bit values; a trailing odd byte is
    /// ignored.
    /// </summary>
    public static IReadOnlySet<ushort> ParseSignatureHashAlgorithms(ReadOnlySpan<byte> notifyData)
    {
        var set = new HashSet<ushort>();
        for (int i = 0; i + 2 <= notifyData.Length; i += 2) set.Add(BinaryPrimitives.ReadUInt16BigEndian(notifyData[i..]));
        return set;
    }

    /// <summary>
    /// Signs with strongSwan's defaults. When the peer sent SIGNATURE_HASH_ALGORITHMS (a non-empty set), RFC 7427
    /// Digital Signature (method 14) with the first scheme of <see cref="SchemesFor"/> the peer supports: PKCS #1 v1.5
    /// for RSA, ECDSA in DER. Otherwise, or with no hash in common, the classic method for the key: RSA with SHA-1
    /// (method 1), ECDSA on P-256/384/521 with SHA-256/384/512 (methods 9, 10, 11).
    /// </summary>
    /// <exception cref="ArgumentException">The key is neither RSA nor ECDSA, or an ECDSA key on another curve with no RFC 7427 to use.</exception>
    public static AuthPayload Sign(AsymmetricAlgorithm privateKey, ReadOnlySpan<byte> signedOctets, IReadOnlyCollection<ushort> peerHashAlgorithms,
        out SignatureScheme scheme) => Sign(privateKey, signedOctets, peerHashAlgorithms, rsaPss: false, out scheme);

    /// <summary>
    /// As <see cref="Sign(AsymmetricAlgorithm, ReadOnlySpan{byte}, IReadOnlyCollection{ushort}, out SignatureScheme)"/>;
    /// <paramref name="rsaPss"/> selects RSASSA-PSS for RSA keys under RFC 7427 (strongSwan's <c>charon.rsa_pss</c>).
    /// </summary>
    public static AuthPayload Sign(AsymmetricAlgorithm privateKey, ReadOnlySpan<byte> signedOctets, IReadOnlyCollection<ushort> peerHashAlgorithms,
        bool rsaPss, out SignatureScheme scheme)
    {
        IReadOnlyList<SignatureScheme> candidates = SchemesFor(privateKey, peerHashAlgorithms, rsaPss);
        if (candidates.Count > 0)
        {
            scheme = candidates[0];
            byte[] signature = scheme.Sign(privateKey, signedOctets, rfc7427: true);
            ReadOnlySpan<byte> algorithm = scheme.AlgorithmIdentifier.Span;
            var data = new byte[1 + algorithm.Length + signature.Length];
            data[0] = (byte)algorithm.Length;
            algorithm.CopyTo(data.AsSpan(1));
            signature.CopyTo(data.AsSpan(1 + algorithm.Length));
            return new AuthPayload(AuthMethod.DigitalSignature, data);
        }
        scheme = ClassicScheme(privateKey);
        return new AuthPayload((AuthMethod)scheme.AuthMethod!.Value, scheme.Sign(privateKey, signedOctets, rfc7427: false));
    }

    /// <summary>
    /// The RFC 7427 schemes to sign with, best first, among those whose hash the peer announced: strongSwan's order,
    /// where the hash follows the key's strength (RSA up to 3072 bits: SHA-256, then 384, 512; up to 7680: SHA-384,
    /// 512; larger: SHA-512; ECDSA up to 256 bits: SHA-256, 384, 512; up to 384: SHA-384, 512; larger: SHA-512), and
    /// for RSA the weaker hashes down to SHA-1 after them. Empty when the peer announced nothing or nothing fits.
    /// </summary>
    public static IReadOnlyList<SignatureScheme> SchemesFor(AsymmetricAlgorithm key, IReadOnlyCollection<ushort> peerHashAlgorithms, bool rsaPss = false)
    {
        if (peerHashAlgorithms.Count == 0) return [];
        string[] keywords = key switch
        {
            RSA rsa when rsa.KeySize <= 3072 => ["sha256", "sha384", "sha512", "sha1"],
            RSA rsa when rsa.KeySize <= 7680 => ["sha384", "sha512", "sha256", "sha1"],
            RSA => ["sha512", "sha384", "sha256", "sha1"],
            ECDsa ec when ec.KeySize <= 256 => ["ecdsa-sha256", "ecdsa-sha384", "ecdsa-sha512"],
            ECDsa ec when ec.KeySize <= 384 => ["ecdsa-sha384", "ecdsa-sha512"],
            ECDsa => ["ecdsa-sha512"],
            _ => [],
        };
        var schemes = new List<SignatureScheme>();
        foreach (string k in keywords)
        {
            // RSA-PSS has no SHA-1 scheme; PKCS #1 v1.5 with SHA-1 stays the last resort either way.
            string keyword = k.StartsWith("ecdsa", StringComparison.Ordinal) ? k : rsaPss && k != "sha1" ? "rsa/pss-" + k : "rsa-" + k;
            SignatureScheme scheme = SignatureScheme.Find(keyword)!;
            if (peerHashAlgorithms.Contains(scheme.HashId)) schemes.Add(scheme);
        }
        return schemes;
    }

    private static SignatureScheme ClassicScheme(AsymmetricAlgorithm key)
    {
        switch (key)
        {
            case RSA:
                return SignatureScheme.Find("rsa-sha1")!;
            case ECDsa ec:
                int bits = NistCurveBits(ec);
                return SignatureScheme.All.FirstOrDefault(s => s.Algorithm == SignatureAlgorithm.Ecdsa && s.CurveBits == bits && bits != 0)
                    ?? throw new ArgumentException($"an ECDSA key of {ec.KeySize} bits not on P-256, P-384 or P-521 needs RFC 7427 signature authentication, which the peer did not offer", nameof(key));
            default:
                throw new ArgumentException($"a {key.GetType().Name} key cannot sign IKE AUTH payloads (RSA or ECDSA only)", nameof(key));
        }
    }

    /// <summary>256, 384 or 521 for a key on NIST P-256, P-384 or P-521; 0 for any other curve.</summary>
    internal static int NistCurveBits(ECDsa key)
    {
        try
        {
            Oid? oid = key.ExportParameters(false).Curve.Oid;
            return (oid?.Value, oid?.FriendlyName) switch
            {
                ("1.2.840.10045.3.1.7", _) or (_, "nistP256" or "ECDSA_P256" or "secp256r1" or "prime256v1") => 256,
                ("1.3.132.0.34", _) or (_, "nistP384" or "ECDSA_P384" or "secp384r1") => 384,
                ("1.3.132.0.35", _) or (_, "nistP521" or "ECDSA_P521" or "secp521r1") => 521,
                _ => 0,
            };
        }
        catch (CryptographicException)
        {
            return 0;
        }
    }

    /// <summary>Verifies a peer's AUTH payload with the public key of its certificate; see the overload with the scheme.</summary>
    public static bool Verify(X509Certificate2 cert, AuthPayload auth, ReadOnlySpan<byte> signedOctets, out string detail) =>
        Verify(cert, auth, signedOctets, out _, out detail);

    /// <summary>
    /// Verifies a peer's AUTH payload with the public key of its certificate: methods 1 (RSA, PKCS #1 v1.5 with
    /// SHA-1), 9, 10, 11 (ECDSA, RFC 4754: the key must be on the method's curve) and 14 (RFC 7427: a length byte, the
    /// AlgorithmIdentifier, the signature). False with the reason in <paramref name="detail"/> for anything else;
    /// never throws on the peer's data. <paramref name="scheme"/> is the scheme the payload named, when it named one.
    /// </summary>
    public static bool Verify(X509Certificate2 cert, AuthPayload auth, ReadOnlySpan<byte> signedOctets, out SignatureScheme? scheme, out string detail)
    {
        scheme = null;
        RSA? rsa = null;
        ECDsa? ecdsa = null;
        try
        {
            try
            {
                rsa = cert.GetRSAPublicKey();
                if (rsa is null) ecdsa = cert.GetECDsaPublicKey();
            }
            catch (CryptographicException e)
            {
                detail = $"the certificate's public key cannot be read ({e.Message})";
                return false;
            }
            AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)rsa ?? ecdsa;
            if (key is null)
            {
                detail = $"the certificate's public key ({cert.PublicKey.Oid.FriendlyName ?? cert.PublicKey.Oid.Value}) is neither RSA nor ECDSA";
                return false;
            }
            return Verify(key, auth, signedOctets, out scheme, out detail);
        }
        finally
        {
            rsa?.Dispose();
            ecdsa?.Dispose();
        }
    }

    /// <summary>As the certificate overload, with the peer's public key itself (RSA or ECDsa).</summary>
    public static bool Verify(AsymmetricAlgorithm publicKey, AuthPayload auth, ReadOnlySpan<byte> signedOctets, out SignatureScheme? scheme, out string detail)
    {
        scheme = null;
        ReadOnlySpan<byte> signature;
        bool rfc7427;
        switch (auth.Method)
        {
            case AuthMethod.RsaDigitalSignature:
                scheme = SignatureScheme.Find("rsa-sha1")!;
                signature = auth.Data;
                rfc7427 = false;
                break;
            case AuthMethod.EcdsaSha256P256 or AuthMethod.EcdsaSha384P384 or AuthMethod.EcdsaSha512P521:
                scheme = SignatureScheme.All.First(s => s.AuthMethod == (byte)auth.Method);
                signature = auth.Data;
                rfc7427 = false;
                if (publicKey is ECDsa ec && NistCurveBits(ec) != scheme.CurveBits)
                {
                    detail = $"auth method {MethodName(auth.Method)} needs a P-{scheme.CurveBits} key, the certificate's key is {CurveName(ec)}";
                    return false;
                }
                break;
            case AuthMethod.DigitalSignature:
            {
                ReadOnlySpan<byte> data = auth.Data;
                if (data.Length < 1 || data.Length < 1 + data[0])
                {
                    detail = $"Digital Signature AUTH data of {data.Length} bytes is shorter than its AlgorithmIdentifier length {(data.Length < 1 ? 0 : data[0])}";
                    return false;
                }
                if (!SignatureAlgorithmIdentifier.TryParse(data.Slice(1, data[0]), out scheme, out string reason))
                {
                    detail = reason;
                    return false;
                }
                signature = data[(1 + data[0])..];
                rfc7427 = true;
                break;
            }
            default:
                detail = $"auth method {MethodName(auth.Method)} is not a signature method Portcullis verifies";
                return false;
        }

        bool fits = scheme!.Algorithm == SignatureAlgorithm.Ecdsa ? publicKey is ECDsa : publicKey is RSA;
        if (!fits)
        {
            detail = $"signature scheme {scheme.Keyword} does not fit an {(publicKey is RSA ? "RSA" : publicKey is ECDsa ? "ECDSA" : publicKey.GetType().Name)} key";
            return false;
        }
        if (!scheme.Verify(publicKey, signedOctets, signature, rfc7427))
        {
            detail = $"{(scheme.Algorithm == SignatureAlgorithm.Ecdsa ? "ECDSA" : "RSA")} signature mismatch ({scheme.Keyword}, auth method {MethodName(auth.Method)})";
            return false;
        }
        detail = $"{scheme.Keyword} signature verified (auth method {MethodName(auth.Method)})";
        return true;
    }

    private static string CurveName(ECDsa key) => NistCurveBits(key) is var bits and > 0 ? $"P-{bits}" : $"a {key.KeySize}-bit curve";

    /// <summary>The method's name as RFC 7296 and RFC 7427 write it.</summary>
    internal static string MethodName(AuthMethod method) => method switch
    {
        AuthMethod.RsaDigitalSignature => "RSA Digital Signature (1)",
        AuthMethod.SharedKeyMessageIntegrityCode => "Shared Key Message Integrity Code (2)",
        AuthMethod.DssDigitalSignature => "DSS Digital Signature (3)",
        AuthMethod.EcdsaSha256P256 => "ECDSA with SHA-256 on P-256 (9)",
        AuthMethod.EcdsaSha384P384 => "ECDSA with SHA-384 on P-384 (10)",
        AuthMethod.EcdsaSha512P521 => "ECDSA with SHA-512 on P-521 (11)",
        AuthMethod.DigitalSignature => "Digital Signature (14)",
        _ => $"{(byte)method}",
    };
}
