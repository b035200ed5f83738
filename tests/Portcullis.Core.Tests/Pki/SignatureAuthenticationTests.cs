using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Crypto.Signatures;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Pki.TestPki;

namespace Portcullis.Core.Tests.Pki;

/// <summary>Signature AUTH payloads (RFC 7296 §2.15, RFC 7427, RFC 4754): signed octets, scheme choice, every method both ways, refusals.</summary>
public class SignatureAuthenticationTests
{
    private static readonly ushort[] s_allHashes = [2, 3, 4];
    private static readonly Issued s_root = Root("CN=Root CA");
    private static readonly Lazy<Issued> s_rsa2048 = new(() => Issue(s_root, "CN=rsa2048", KeyKind.Rsa2048));
    private static readonly Lazy<Issued> s_rsa3072 = new(() => Issue(s_root, "CN=rsa3072", KeyKind.Rsa3072));

    private static Issued Cert(KeyKind kind) => kind switch
    {
        KeyKind.Rsa2048 => s_rsa2048.Value,
        KeyKind.Rsa3072 => s_rsa3072.Value,
        _ => Issue(s_root, $"CN={kind}", kind),
    };

    private static readonly byte[] s_octets = RandomNumberGenerator.GetBytes(500);

    [Fact]
    public void Signed_octets_are_the_message_the_other_nonce_and_the_MACed_ID()
    {
        var prf = TransformRegistry.Get<PrfTransform>("prfsha256");
        byte[] message = RandomNumberGenerator.GetBytes(300), nonce = RandomNumberGenerator.GetBytes(32), skP = RandomNumberGenerator.GetBytes(32);
        byte[] idBody = [2, 0, 0, 0, .. "server.example"u8];
        byte[] octets = SignatureAuthentication.SignedOctets(prf, message, nonce, skP, idBody);
        Assert.Equal([.. message, .. nonce, .. HMACSHA256.HashData(skP, idBody)], octets);

        // The PSK AUTH is prf(prf(secret, "Key Pad for IKEv2"), the same octets).
        byte[] secret = "a shared secret"u8.ToArray();
        byte[] expected = HMACSHA256.HashData(HMACSHA256.HashData(secret, "Key Pad for IKEv2"u8), octets);
        Assert.Equal(expected, PskAuthentication.Compute(prf, secret, message, nonce, skP, idBody));
    }

    [Fact]
    public void Signature_hash_algorithms_notify_is_a_list_of_16_bit_numbers()
    {
        Assert.Equal(new HashSet<ushort> { 1, 2, 3, 4, 5 }, SignatureAuthentication.ParseSignatureHashAlgorithms([0, 1, 0, 2, 0, 3, 0, 4, 0, 5]));
        Assert.Equal(new HashSet<ushort> { 2, 0x0102 }, SignatureAuthentication.ParseSignatureHashAlgorithms([0, 2, 1, 2, 9]));
        Assert.Empty(SignatureAuthentication.ParseSignatureHashAlgorithms([]));
        Assert.Empty(SignatureAuthentication.ParseSignatureHashAlgorithms([7]));
    }

    /// <summary>strongSwan's choice: the hash follows the key's strength, PKCS #1 v1.5 for RSA unless rsa_pss is on.</summary>
    [Theory]
    [InlineData(KeyKind.Rsa2048, "2,3,4", false, "rsa-sha256")]
    [InlineData(KeyKind.Rsa3072, "2,3,4", false, "rsa-sha256")]
    [InlineData(KeyKind.Rsa2048, "3,4", false, "rsa-sha384")]
    [InlineData(KeyKind.Rsa2048, "1", false, "rsa-sha1")]
    [InlineData(KeyKind.Rsa2048, "2,3,4", true, "rsa/pss-sha256")]
    [InlineData(KeyKind.Rsa2048, "4", true, "rsa/pss-sha512")]
    [InlineData(KeyKind.P256, "2,3,4", false, "ecdsa-sha256")]
    [InlineData(KeyKind.P256, "4", false, "ecdsa-sha512")]
    [InlineData(KeyKind.P384, "2,3,4", false, "ecdsa-sha384")]
    [InlineData(KeyKind.P384, "2,4", false, "ecdsa-sha512")]
    [InlineData(KeyKind.P521, "2,3,4", false, "ecdsa-sha512")]
    public void Scheme_choice_with_SIGNATURE_HASH_ALGORITHMS(KeyKind kind, string peer, bool pss, string expected)
    {
        Issued signer = Cert(kind);
        ushort[] hashes = peer.Split(',').Select(ushort.Parse).ToArray();
        AuthPayload auth = SignatureAuthentication.Sign(signer.Key, s_octets, hashes, pss, out SignatureScheme scheme);
        Assert.Equal(expected, scheme.Keyword);
        Assert.Equal(AuthMethod.DigitalSignature, auth.Method);
        // Length byte, then the AlgorithmIdentifier of RFC 7427 Appendix A.
        Assert.Equal(scheme.AlgorithmIdentifier.Length, auth.Data[0]);
        Assert.Equal(scheme.AlgorithmIdentifier.ToArray(), auth.Data.Slice(1, auth.Data[0]).ToArray());
        Assert.True(SignatureAuthentication.Verify(signer.Cert, auth, s_octets, out SignatureScheme? verified, out string detail), detail);
        Assert.Same(scheme, verified);
    }

    [Theory]
    [InlineData(KeyKind.Rsa2048, AuthMethod.RsaDigitalSignature, "rsa-sha1")]
    [InlineData(KeyKind.P256, AuthMethod.EcdsaSha256P256, "ecdsa-sha256")]
    [InlineData(KeyKind.P384, AuthMethod.EcdsaSha384P384, "ecdsa-sha384")]
    [InlineData(KeyKind.P521, AuthMethod.EcdsaSha512P521, "ecdsa-sha512")]
    public void Without_SIGNATURE_HASH_ALGORITHMS_the_classic_method(KeyKind kind, AuthMethod method, string keyword)
    {
        Issued signer = Cert(kind);
        AuthPayload auth = SignatureAuthentication.Sign(signer.Key, s_octets, [], out SignatureScheme scheme);
        Assert.Equal(method, auth.Method);
        Assert.Equal(keyword, scheme.Keyword);
        if (signer.Key is ECDsa ec) Assert.Equal(2 * ((ec.KeySize + 7) / 8), auth.Data.Length); // r ‖ s (RFC 4754 §7)
        Assert.True(SignatureAuthentication.Verify(signer.Cert, auth, s_octets, out string detail), detail);
        Assert.Contains("signature verified", detail);
    }

    [Fact]
    public void An_ECDSA_key_with_no_common_hash_falls_back_to_its_classic_method()
    {
        Issued signer = Cert(KeyKind.P256);
        AuthPayload auth = SignatureAuthentication.Sign(signer.Key, s_octets, [1], out SignatureScheme scheme);
        Assert.Equal(AuthMethod.EcdsaSha256P256, auth.Method);
        Assert.Equal("ecdsa-sha256", scheme.Keyword);
    }

    public static TheoryData<string, KeyKind> EveryRfc7427Scheme() => new()
    {
        { "rsa-sha1", KeyKind.Rsa2048 }, { "rsa-sha256", KeyKind.Rsa2048 }, { "rsa-sha384", KeyKind.Rsa2048 }, { "rsa-sha512", KeyKind.Rsa2048 },
        { "rsa/pss-sha256", KeyKind.Rsa2048 }, { "rsa/pss-sha384", KeyKind.Rsa3072 }, { "rsa/pss-sha512", KeyKind.Rsa2048 },
        { "ecdsa-sha256", KeyKind.P256 }, { "ecdsa-sha384", KeyKind.P256 }, { "ecdsa-sha512", KeyKind.P384 },
    };

    /// <summary>Any scheme a peer may pick verifies, whatever we would have chosen ourselves; changing one bit of anything fails.</summary>
    [Theory]
    [MemberData(nameof(EveryRfc7427Scheme))]
    public void Every_RFC_7427_scheme_verifies_and_tampering_fails(string keyword, KeyKind kind)
    {
        Issued signer = Cert(kind);
        SignatureScheme scheme = SignatureScheme.Find(keyword)!;
        byte[] id = scheme.AlgorithmIdentifier.ToArray();
        byte[] data = [(byte)id.Length, .. id, .. scheme.Sign(signer.Key, s_octets, rfc7427: true)];
        var auth = new AuthPayload(AuthMethod.DigitalSignature, data);
        Assert.True(SignatureAuthentication.Verify(signer.Cert, auth, s_octets, out SignatureScheme? named, out string detail), detail);
        Assert.Same(scheme, named);

        byte[] octets = (byte[])s_octets.Clone();
        octets[^1] ^= 1;
        Assert.False(SignatureAuthentication.Verify(signer.Cert, auth, octets, out detail));
        Assert.Contains("signature mismatch", detail);
        byte[] tampered = (byte[])data.Clone();
        tampered[^5] ^= 0x10;
        Assert.False(SignatureAuthentication.Verify(signer.Cert, new AuthPayload(AuthMethod.DigitalSignature, tampered), s_octets, out _));
    }

    [Fact]
    public void A_PSS_AlgorithmIdentifier_without_the_default_trailer_is_accepted()
    {
        // RFC 4055 §3.1 DER leaves trailerField 1 out; strongSwan writes it that way.
        Issued signer = Cert(KeyKind.Rsa2048);
        SignatureScheme scheme = SignatureScheme.Find("rsa/pss-sha256")!;
        byte[] full = scheme.AlgorithmIdentifier.ToArray();
        byte[] withoutTrailer = Convert.FromHexString(
            "3041" + "06092a864886f70d01010a" + "3034" + "a00f300d06096086480165030402010500" + "a11c301a06092a864886f70d010108300d06096086480165030402010500" + "a203020120");
        Assert.Equal(full.Length - 5, withoutTrailer.Length);
        byte[] data = [(byte)withoutTrailer.Length, .. withoutTrailer, .. scheme.Sign(signer.Key, s_octets, rfc7427: true)];
        Assert.True(SignatureAuthentication.Verify(signer.Cert, new AuthPayload(AuthMethod.DigitalSignature, data), s_octets, out string detail), detail);
    }

    [Fact]
    public void A_scheme_that_does_not_fit_the_key_is_refused_in_words()
    {
        Issued rsa = Cert(KeyKind.Rsa2048), ec = Cert(KeyKind.P256), ec384 = Cert(KeyKind.P384);
        AuthPayload ecAuth = SignatureAuthentication.Sign(ec.Key, s_octets, s_allHashes, out _);
        Assert.False(SignatureAuthentication.Verify(rsa.Cert, ecAuth, s_octets, out string detail));
        Assert.Equal("signature scheme ecdsa-sha256 does not fit an RSA key", detail);
        AuthPayload rsaAuth = SignatureAuthentication.Sign(rsa.Key, s_octets, s_allHashes, out _);
        Assert.False(SignatureAuthentication.Verify(ec.Cert, rsaAuth, s_octets, out detail));
        Assert.Equal("signature scheme rsa-sha256 does not fit an ECDSA key", detail);
        // RFC 4754 methods fix the curve.
        AuthPayload p256 = SignatureAuthentication.Sign(ec.Key, s_octets, [], out _);
        Assert.False(SignatureAuthentication.Verify(ec384.Cert, p256, s_octets, out detail));
        Assert.Contains("needs a P-256 key, the certificate's key is P-384", detail);
        AuthPayload rsa1 = SignatureAuthentication.Sign(rsa.Key, s_octets, [], out _);
        Assert.False(SignatureAuthentication.Verify(ec.Cert, rsa1, s_octets, out detail));
        Assert.Contains("does not fit an ECDSA key", detail);
        // A signature from another key of the right type.
        Issued rsaOther = Cert(KeyKind.Rsa3072);
        Assert.False(SignatureAuthentication.Verify(rsaOther.Cert, rsaAuth, s_octets, out detail));
        Assert.StartsWith("RSA signature mismatch", detail);
    }

    [Theory]
    [InlineData(AuthMethod.DigitalSignature, "", "shorter than")]
    [InlineData(AuthMethod.DigitalSignature, "20", "shorter than")]
    [InlineData(AuthMethod.DigitalSignature, "0c300a06082a8648ce3d040302", "signature mismatch")] // no signature after the identifier
    [InlineData(AuthMethod.DigitalSignature, "0b300906072a8648ce3d040100", "ecdsa-with-SHA1")]
    [InlineData(AuthMethod.DigitalSignature, "07300506032b657000", "Ed25519")]
    [InlineData(AuthMethod.DigitalSignature, "0430050603", "malformed AlgorithmIdentifier")]
    [InlineData(AuthMethod.DigitalSignature, "01ff00", "malformed AlgorithmIdentifier")]
    [InlineData(AuthMethod.SharedKeyMessageIntegrityCode, "00", "is not a signature method")]
    [InlineData(AuthMethod.DssDigitalSignature, "00", "is not a signature method")]
    public void Malformed_AUTH_data_is_refused_without_an_exception(AuthMethod method, string hex, string inDetail)
    {
        Issued ec = Cert(KeyKind.P256);
        Assert.False(SignatureAuthentication.Verify(ec.Cert, new AuthPayload(method, Convert.FromHexString(hex)), s_octets, out string detail));
        Assert.Contains(inDetail, detail);
        Assert.NotEmpty(detail);
    }

    [Fact]
    public void Random_AUTH_data_never_throws()
    {
        Issued rsa = Cert(KeyKind.Rsa2048), ec = Cert(KeyKind.P256);
        var random = new Random(7427);
        AuthPayload good = SignatureAuthentication.Sign(rsa.Key, s_octets, s_allHashes, out _);
        for (int i = 0; i < 300; i++)
        {
            byte[] data = good.Data.ToArray();
            for (int j = 0; j < 3; j++) data[random.Next(data.Length)] = (byte)random.Next(256);
            data = data[..random.Next(data.Length + 1)];
            foreach (AuthMethod m in (AuthMethod[])[AuthMethod.DigitalSignature, AuthMethod.RsaDigitalSignature, AuthMethod.EcdsaSha256P256])
            {
                SignatureAuthentication.Verify(rsa.Cert, new AuthPayload(m, data), s_octets, out _);
                SignatureAuthentication.Verify(ec.Cert, new AuthPayload(m, data), s_octets, out _);
            }
        }
    }

    [Fact]
    public void A_key_that_is_neither_RSA_nor_ECDSA_cannot_sign()
    {
        using var dsa = DSA.Create(1024);
        Assert.Throws<ArgumentException>(() => SignatureAuthentication.Sign(dsa, s_octets, s_allHashes, out _));
        using ECDsa brainpool = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        // RFC 7427 signs with any curve; the RFC 4754 methods need a NIST one.
        Assert.Equal(AuthMethod.DigitalSignature, SignatureAuthentication.Sign(brainpool, s_octets, s_allHashes, out _).Method);
        Assert.Throws<ArgumentException>(() => SignatureAuthentication.Sign(brainpool, s_octets, [], out _));
    }
}
