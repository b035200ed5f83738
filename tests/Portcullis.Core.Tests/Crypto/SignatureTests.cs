using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Signatures;

namespace Portcullis.Core.Tests.Crypto;

/// <summary>
/// The AUTH payload signature schemes: RFC 4754 ECDSA vectors, RFC 7427 Appendix A AlgorithmIdentifiers, a Wycheproof
/// RSASSA-PKCS1-v1_5 generation vector, and sign/verify round trips.
/// </summary>
public class SignatureTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    private static SignatureScheme Scheme(string keyword) => SignatureScheme.Find(keyword) ?? throw new KeyNotFoundException(keyword);

    // ---------------------------------------------------------------- RFC 4754 §8

    /// <summary>RFC 4754 §8.1–§8.3: scheme, curve, private key w, public key gw x, gw y, r, s; the message is "abc".</summary>
    public static TheoryData<string, string, string, string, string, string, string> Rfc4754 => new()
    {
        {
            "ecdsa-sha256", "nistP256",
            "DC51D386 6A15BACD E33D96F9 92FCA99D A7E6EF09 34E70975 59C27F16 14C88A7F",
            "2442A5CC 0ECD015F A3CA31DC 8E2BBC70 BF42D60C BCA20085 E0822CB0 4235E970",
            "6FC98BD7 E50211A4 A27102FA 3549DF79 EBCB4BF2 46B80945 CDDFE7D5 09BBFD7D",
            "CB28E099 9B9C7715 FD0A80D8 E47A7707 9716CBBF 917DD72E 97566EA1 C066957C",
            "86FA3BB4 E26CAD5B F90B7F81 899256CE 7594BB1E A0C89212 748BFF3B 3D5B0315"
        },
        {
            "ecdsa-sha384", "nistP384",
            "0BEB6466 34BA8773 5D77AE48 09A0EBEA 865535DE 4C1E1DCB 692E8470 8E81A5AF 62E528C3 8B2A81B3 5309668D 73524D9F",
            "96281BF8 DD5E0525 CA049C04 8D345D30 82968D10 FEDF5C5A CA0C64E6 465A97EA 5CE10C9D FEC21797 41571072 1F437922",
            "447688BA 94708EB6 E2E4D59F 6AB6D7ED FF9301D2 49FE49C3 3096655F 5D502FAD 3D383B91 C5E7EDAA 2B714CC9 9D5743CA",
            "FB017B91 4E291494 32D8BAC2 9A514640 B46F53DD AB2C6994 8084E293 0F1C8F7E 08E07C9C 63F2D21A 07DCB56A 6AF56EB3",
            "B263A130 5E057F98 4D38726A 1B468741 09F417BC A112674C 528262A4 0A629AF1 CBB9F516 CE0FA7D2 FF630863 A00E8B9F"
        },
        {
            "ecdsa-sha512", "nistP521",
            "0065FDA3 409451DC AB0A0EAD 45495112 A3D813C1 7BFD34BD F8C1209D 7DF58491 20597779 060A7FF9 D704ADF7 8B570FFA D6F062E9 5C7E0C5D 5481C5B1 53B48B37 5FA1",
            "0151518F 1AF0F563 517EDD54 85190DF9 5A4BF57B 5CBA4CF2 A9A3F647 4725A35F 7AFE0A6D DEB8BEDB CD6A197E 592D4018 8901CECD 650699C9 B5E456AE A5ADD190 52A8",
            "006F3B14 2EA1BFFF 7E2837AD 44C9E4FF 6D2D34C7 3184BBAD 90026DD5 E6E85317 D9DF45CA D7803C6C 20035B2F 3FF63AFF 4E1BA64D 1C077577 DA3F4286 C58F0AEA E643",
            "0154FD38 36AF92D0 DCA57DD5 341D3053 988534FD E8318FC6 AAAAB68E 2E6F4339 B19F2F28 1A7E0B22 C269D93C F8794A92 78880ED7 DBB8D936 2CAEACEE 54432055 2251",
            "017705A7 030290D1 CEB605A9 A1BB03FF 9CDD521E 87A696EC 926C8C10 C8362DF4 975367101 F67D1CF9 BCCBF2F3 D239534F A509E70A AC851AE0 1AAC68D6 2F866472 660"
        },
    };

    private static ECCurve CurveNamed(string name) => name switch
    {
        "nistP256" => ECCurve.NamedCurves.nistP256,
        "nistP384" => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };

    private static readonly byte[] s_abc = "abc"u8.ToArray();

    /// <summary>ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), built independently of the BCL's formatter.</summary>
    private static byte[] Der(byte[] r, byte[] s)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteIntegerUnsigned(r);
            w.WriteIntegerUnsigned(s);
        }
        return w.Encode();
    }

    [Theory]
    [MemberData(nameof(Rfc4754))]
    public void Ecdsa_RFC_4754_signature_verifies_as_r_s_and_as_DER(string keyword, string curve, string w, string gwx, string gwy, string r, string s)
    {
        _ = w;
        SignatureScheme scheme = Scheme(keyword);
        using ECDsa key = ECDsa.Create(new ECParameters { Curve = CurveNamed(curve), Q = new ECPoint { X = Hex(gwx), Y = Hex(gwy) } });
        byte[] rs = [.. Hex(r), .. Hex(s)];

        // RFC 4754 §7: r ‖ s, each as long as the group order.
        Assert.True(scheme.Verify(key, s_abc, rs, rfc7427: false));
        // RFC 7427 §3: the same signature DER-encoded.
        Assert.True(scheme.Verify(key, s_abc, Der(Hex(r), Hex(s)), rfc7427: true));
        // Neither format is accepted in place of the other.
        Assert.False(scheme.Verify(key, s_abc, rs, rfc7427: true));
        Assert.False(scheme.Verify(key, s_abc, Der(Hex(r), Hex(s)), rfc7427: false));
    }

    [Theory]
    [MemberData(nameof(Rfc4754))]
    public void Ecdsa_RFC_4754_any_one_bit_change_fails(string keyword, string curve, string w, string gwx, string gwy, string r, string s)
    {
        _ = w;
        SignatureScheme scheme = Scheme(keyword);
        using ECDsa key = ECDsa.Create(new ECParameters { Curve = CurveNamed(curve), Q = new ECPoint { X = Hex(gwx), Y = Hex(gwy) } });
        byte[] rs = [.. Hex(r), .. Hex(s)];

        for (int bit = 0; bit < rs.Length * 8; bit += 13)
        {
            byte[] changed = (byte[])rs.Clone();
            changed[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(scheme.Verify(key, s_abc, changed, rfc7427: false), $"signature bit {bit}");
        }
        for (int bit = 0; bit < 24; bit++)
        {
            byte[] message = (byte[])s_abc.Clone();
            message[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(scheme.Verify(key, message, rs, rfc7427: false), $"message bit {bit}");
        }
        Assert.False(scheme.Verify(key, "abcd"u8, rs, rfc7427: false));
        Assert.False(scheme.Verify(key, s_abc, rs[..^1], rfc7427: false));
        Assert.False(scheme.Verify(key, s_abc, [.. rs, 0], rfc7427: false));
        Assert.False(scheme.Verify(key, s_abc, [], rfc7427: true));
        Assert.False(scheme.Verify(key, s_abc, [0x30, 0x03, 0x02, 0x01], rfc7427: true)); // truncated DER
    }

    [Theory]
    [MemberData(nameof(Rfc4754))]
    public void Ecdsa_RFC_4754_private_key_gives_the_public_key_and_signs_verifiably(string keyword, string curve, string w, string gwx, string gwy, string r, string s)
    {
        _ = r; _ = s;
        SignatureScheme scheme = Scheme(keyword);
        using ECDsa key = ECDsa.Create(new ECParameters { Curve = CurveNamed(curve), D = Hex(w) });
        ECParameters exported = key.ExportParameters(includePrivateParameters: false);
        Assert.Equal(Convert.ToHexString(Hex(gwx)), Convert.ToHexString(exported.Q.X!));
        Assert.Equal(Convert.ToHexString(Hex(gwy)), Convert.ToHexString(exported.Q.Y!));

        // k is random in our signer, so the signature differs from RFC 4754's, but verifies with the RFC's public key.
        using ECDsa rfcPublic = ECDsa.Create(new ECParameters { Curve = CurveNamed(curve), Q = new ECPoint { X = Hex(gwx), Y = Hex(gwy) } });
        Assert.True(scheme.Verify(rfcPublic, s_abc, scheme.Sign(key, s_abc, rfc7427: false), rfc7427: false));
        Assert.True(scheme.Verify(rfcPublic, s_abc, scheme.Sign(key, s_abc, rfc7427: true), rfc7427: true));
    }

    [Theory]
    [InlineData("ecdsa-sha256", (byte)9, 256)]
    [InlineData("ecdsa-sha384", (byte)10, 384)]
    [InlineData("ecdsa-sha512", (byte)11, 521)]
    public void Ecdsa_schemes_are_the_RFC_4754_auth_methods(string keyword, byte authMethod, int curveBits)
    {
        SignatureScheme scheme = Scheme(keyword);
        Assert.Equal(authMethod, scheme.AuthMethod);
        Assert.Equal(curveBits, scheme.CurveBits);
        Assert.Equal(SignatureAlgorithm.Ecdsa, scheme.Algorithm);
    }

    // ---------------------------------------------------------------- RFC 7427 Appendix A

    /// <summary>
    /// RFC 7427 Appendix A: A.1.1–A.1.4 (PKCS #1 v1.5: sha1/256/384/512WithRSAEncryption, NULL parameters),
    /// A.3.2–A.3.4 (ecdsa-with-SHA256/384/512, no parameters) and A.4.3 (RSASSA-PSS with SHA-256, MGF1 with SHA-256,
    /// salt length 32, trailer field 1: 72 bytes). RFC 7427 prints no SHA-384/512 PSS example; those two are A.4.3
    /// with the hash OID (2.16.840.1.101.3.4.2.2 / .3) and salt length (48 / 64) changed, nothing else.
    /// </summary>
    [Theory]
    [InlineData("rsa-sha1", "300d06092a864886f70d0101050500")]
    [InlineData("rsa-sha256", "300d06092a864886f70d01010b0500")]
    [InlineData("rsa-sha384", "300d06092a864886f70d01010c0500")]
    [InlineData("rsa-sha512", "300d06092a864886f70d01010d0500")]
    [InlineData("ecdsa-sha256", "300a06082a8648ce3d040302")]
    [InlineData("ecdsa-sha384", "300a06082a8648ce3d040303")]
    [InlineData("ecdsa-sha512", "300a06082a8648ce3d040304")]
    [InlineData("rsa/pss-sha256",
        "3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0201 0500 a11c 301a 0609 2a86" +
        "4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201 20a3 0302 0101")]
    [InlineData("rsa/pss-sha384",
        "3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0202 0500 a11c 301a 0609 2a86" +
        "4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0202 0500 a203 0201 30a3 0302 0101")]
    [InlineData("rsa/pss-sha512",
        "3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0203 0500 a11c 301a 0609 2a86" +
        "4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0203 0500 a203 0201 40a3 0302 0101")]
    public void AlgorithmIdentifier_matches_RFC_7427_Appendix_A_byte_for_byte(string keyword, string expected)
    {
        Assert.Equal(Convert.ToHexStringLower(Hex(expected)), Convert.ToHexStringLower(Scheme(keyword).AlgorithmIdentifier.Span));
    }

    [Fact]
    public void Every_scheme_has_an_AlgorithmIdentifier_test()
    {
        string[] tested = ["rsa-sha1", "rsa-sha256", "rsa-sha384", "rsa-sha512", "ecdsa-sha256", "ecdsa-sha384", "ecdsa-sha512",
            "rsa/pss-sha256", "rsa/pss-sha384", "rsa/pss-sha512"];
        Assert.Equal(tested.Order(), SignatureScheme.All.Select(s => s.Keyword).Order());
    }

    [Fact]
    public void Scheme_metadata_follows_RFC_7427()
    {
        // SIGNATURE_HASH_ALGORITHMS numbers (RFC 7427 §7, IANA): 1 SHA-1, 2 SHA2-256, 3 SHA2-384, 4 SHA2-512.
        foreach (SignatureScheme s in SignatureScheme.All)
        {
            ushort expected = s.Hash.Name switch { "SHA1" => 1, "SHA256" => 2, "SHA384" => 3, _ => 4 };
            Assert.Equal(expected, s.HashId);
            Assert.Equal(s.Hash == HashAlgorithmName.SHA1, s.Legacy);
        }
        Assert.Equal((byte)1, Scheme("rsa-sha1").AuthMethod); // RSA Digital Signature (RFC 7296 §3.8)
        Assert.Null(Scheme("rsa-sha256").AuthMethod);
        Assert.Same(Scheme("rsa/pss-sha384"), SignatureScheme.Find("RSA/PSS-SHA384"));
        Assert.Null(SignatureScheme.Find("rsa-md5"));
    }

    // ---------------------------------------------------------------- RSASSA-PKCS1-v1_5 known answer

    /// <summary>
    /// Wycheproof testvectors/rsa_sig_gen_misc_test.json (C2SP/wycheproof), the 2048-bit SHA-256 RsassaPkcs1Generate
    /// group: the private key (PKCS #8) and tcId 81, 83, 85 ("valid").
    /// </summary>
    private const string WycheproofRsa2048Pkcs8 =
        "308204bd020100300d06092a864886f70d0101010500048204a7308204a30201000282010100a2b451a07d0aa5f96e455671513550514a8a5b462ebef717" +
        "094fa1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89d6eac8845097b5ab393189db92512ed8a7711a1253facd20f79c15e8" +
        "247f3d3e42e46e48c98e254a2fe9765313a03eff8f17e1a029397a1fa26a8dce26f490ed81299615d9814c22da610428e09c7d9658594266f5c021d0fcec" +
        "a08d945a12be82de4d1ece6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f48698bcbba1b4d9cae79d460d8f9f8" +
        "5e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf7820283f742b9d50203010001028201007627eef3567b2a" +
        "27268e52053ecd31c3a7172ccb9ddcee819b306a5b3c66b7573ca4fa88efc6f3c4a00bfa0ae7139f64543a4dac3d05823f6ff477cfcec84fe2ac7a68b172" +
        "04b390232e110310c4e899c4e7c10967db4acde042dbbf19dbe00b4b4741de1020aaaaffb5054c797c9f136f7d93ac3fc8caff6654242d7821ebee517bf5" +
        "37f44366a0fdd45ae05b9909c2e6cc1ed9281eff4399f76c96b96233ec29ae0bbf0d752b234fc197389f51050aa1acd01c074c3ac8fbdb9ea8b651a95995" +
        "e8db4ad5c43b6c8673e5a126e7ee94b8dff4c5afc01259bc8da76950bae6f8bae715f50985b0d6f66d04c6fef3b700720eecdcdf171bb7b1ecbe7289c467" +
        "c102818100dc431050f782e894fb5248247d98cb7d58b8d1e24f3b55d041c56e4de086b0d5bb028bda42eeb5d234d5681e5809d415e6a289ad4cfbf78f97" +
        "8f6c35814f50eebff1c5b80a69f788e81e6bab5ddaa78369d659d143ec6f17e79813a575cfad9c569156b90113e2e9110ad9e7b48a1c9348a6e653321191" +
        "290ea36cfb3a5b18f102818100bd1a81e7977f9898122273ae3222b598ea5fb19eb4eabc38308a5e32196603b2e500ffb79f5b886816611debc472fac455" +
        "44070beb057c941378a6868af3b7a03d3f9880ec47d5e089b94fbde542aba9ae8d72c57088d7abf5b131f39098f7bc160f90536abc9492fd4e06f3ed7299" +
        "d4b97bb03677207d95669f140cfbc20f2502818100a94b528b28f291599121d91952ffd1c7f21d7c1479d99d478885fb161870ee1218bf08472612dbe549" +
        "7e8d9c650688e09c786961ae3e2c354dc48ae34514759c4c23c4588488961dc06b414e61c0e1e7fbbd2923d31532fe289f96da220711e58c14019808e004" +
        "14276933bb07e4efb9b4a9b37656917205209f33f09515d7c10281803af0e72a933aef09ff2503df78bafed531c02ff1a2bc437c540cdcbd4ad35435cf51" +
        "1763596543480629b114ca7f780ff7efa32ea0cb6e000d6d9ea1f2ef71fd9cf9948422a165557e37e755edfe70d90b920502eb478bc98a63f788ce3a0f85" +
        "6d6ede7251a383bfa8fa480a81a925af7b3cc538c4bab8c9f7597ffb68011d8d0281802640fbfbcfefb163ee7a87b6483a66ee41f956d90fa8a7939bfc04" +
        "2ee0924b1b7993d0445f758d51933e85179c0320b0c968b48a91c38b5be923e1097c0c562f88d42294b6a2759bafa5428a74f1270874e45f6fcc60f21602" +
        "de5eccd143cf31241f5921b5ad3983fb54ef17be3b285367e50c999c67247b552fe4bfce945f7b";

    [Theory]
    [InlineData("",
        "840f5dac53106dd1f9c57219224cf51289290c42f20466875ba8e830ac5690e541536fcc8ab03b731f82bf66d83f194e7e180b3963ec7a2f3f7904a7ce49aed4" +
        "7da4d4b79421eaf937d301b3e696169297b797c32c076a12be4de0b58e003c5123051a84a10c62f8dac2f42a8640008eb3c7cccd6760ff5b51b68976392258" +
        "2845f048fb8150e5a7a6ca2eccc7bdc85349ad5b26c52137a79fa3fe5c29ab5cd7615013219c1941b6708e9c3c23feff5febaf0c8ebca5750b54e3e6e99a3e" +
        "876b396f27860b7f3ec4e9191703c6332d944f6f69751167680c79c4f6b57f1cc8755d24b6ec158ccdbacdb23107a33cb6b332516c13274d1f9dccc21dced869e486")]
    [InlineData("54657374",
        "264491e844c119f14e425c03282139a558dcdaeb82a4628173cd407fd319f9076eaebc0dd87a1c22e4d17839096886d58a9d5b7f7aeb63efec56c45ac7bead42" +
        "03b6886e1faa90e028ec0ae094d46bf3f97efdd19045cfbc25a1abda2432639f9876405c0d68f8edbf047c12a454f7681d5d5a2b54bd3723d193dbad4338ba" +
        "ad753264006e2d08931c4b8bb79aa1c9cad10eb6605f87c5831f6e2b08e002f9c6f21141f5841d92727dd3e1d99c36bc560da3c9067df99fcaf818941f7258" +
        "8be33032bad22caf6704223bb114d575b6d02d9d222b580005d930e8f40cce9f672eebb634a20177d84351627964b83f2053d736a84ab1a005f63bd5ba943de6205c")]
    [InlineData("4d657373616765",
        "513a5abde16b5e0ecb8659d3ca0845800adf75cfc4437d42fa34e7aafbbe35fc5984d3560cba938f9a622e932bb6162b7fbb6cd8c1cf8815f28c495995ac18cd" +
        "be8fabfdce29c17aa021df192ac02d080d7c5eda6bd4c99154178a9d5e1cf3ff4177106315f4e6d74c991b601069acd60b55b3bb4dbf6316c35096a487d675" +
        "6181d3394944f1c742a2f4d608ce4f6abbfb72347ad7d342ae15dd6d1049fbd0ff55f4d7c43ab805f81ff1fbe9256b5c78c2de6beb787f4b6d66d290a3d4c4" +
        "857368aea5f7ebaa1296020c8f9e3670441a08038bb810e853a654e44316a4e52428745123ce2714020d00e55a9eb82f7fb41c73d852a82b003670246c6ca2045fc8")]
    public void Rsa_PKCS1_v1_5_signature_equals_the_Wycheproof_vector(string message, string signature)
    {
        using RSA key = RSA.Create();
        key.ImportPkcs8PrivateKey(Hex(WycheproofRsa2048Pkcs8), out int read);
        Assert.Equal(Hex(WycheproofRsa2048Pkcs8).Length, read);
        SignatureScheme scheme = Scheme("rsa-sha256");

        // PKCS #1 v1.5 is deterministic: the signature is exactly the vector's, in either AUTH format.
        Assert.Equal(signature, Convert.ToHexStringLower(scheme.Sign(key, Hex(message), rfc7427: true)));
        Assert.Equal(signature, Convert.ToHexStringLower(scheme.Sign(key, Hex(message), rfc7427: false)));

        using RSA publicOnly = RSA.Create(key.ExportParameters(includePrivateParameters: false));
        Assert.True(scheme.Verify(publicOnly, Hex(message), Hex(signature), rfc7427: true));
        byte[] changed = Hex(signature);
        changed[^1] ^= 0x01;
        Assert.False(scheme.Verify(publicOnly, Hex(message), changed, rfc7427: true));
        // The same signature does not pass as another hash or as PSS.
        Assert.False(Scheme("rsa-sha384").Verify(publicOnly, Hex(message), Hex(signature), rfc7427: true));
        Assert.False(Scheme("rsa/pss-sha256").Verify(publicOnly, Hex(message), Hex(signature), rfc7427: true));
    }

    // ---------------------------------------------------------------- round trips

    private static readonly Lazy<RSA> s_rsa2048 = new(() => RSA.Create(2048));

    public static TheoryData<string> RsaSchemes() => [.. SignatureScheme.All.Where(s => s.Algorithm != SignatureAlgorithm.Ecdsa).Select(s => s.Keyword)];

    [Theory]
    [MemberData(nameof(RsaSchemes))]
    public void Rsa_sign_verify_round_trip(string keyword)
    {
        SignatureScheme scheme = Scheme(keyword);
        RSA key = s_rsa2048.Value;
        byte[] data = RandomNumberGenerator.GetBytes(300);
        byte[] signature = scheme.Sign(key, data, rfc7427: true);
        Assert.Equal(256, signature.Length);
        Assert.True(scheme.Verify(key, data, signature, rfc7427: true));
        Assert.True(scheme.Verify(key, data, signature, rfc7427: false)); // RSA signatures are the same in both formats

        byte[] again = scheme.Sign(key, data, rfc7427: true);
        if (scheme.Algorithm == SignatureAlgorithm.RsaPkcs1)
            Assert.Equal(Convert.ToHexString(signature), Convert.ToHexString(again));
        else
            Assert.NotEqual(Convert.ToHexString(signature), Convert.ToHexString(again)); // random salt (RFC 8017 §9.1.1)
        Assert.True(scheme.Verify(key, data, again, rfc7427: true));

        data[0] ^= 1;
        Assert.False(scheme.Verify(key, data, signature, rfc7427: true));
        data[0] ^= 1;
        signature[10] ^= 0x80;
        Assert.False(scheme.Verify(key, data, signature, rfc7427: true));
        Assert.False(scheme.Verify(key, data, [], rfc7427: true));
    }

    [Fact]
    public void Rsa_PSS_signature_uses_a_salt_as_long_as_the_hash()
    {
        // RFC 7427 A.4.3 (and our AlgorithmIdentifier) promise saltLength = hLen: verify with exactly that salt.
        RSA key = s_rsa2048.Value;
        byte[] data = "the IKE_SA_INIT message and the peer's nonce"u8.ToArray();
        foreach (string keyword in (string[])["rsa/pss-sha256", "rsa/pss-sha384", "rsa/pss-sha512"])
        {
            SignatureScheme scheme = Scheme(keyword);
            byte[] signature = scheme.Sign(key, data, rfc7427: true);
            int hashLength = scheme.Hash.Name switch { "SHA256" => 32, "SHA384" => 48, _ => 64 };
            Assert.Equal(hashLength, PssSaltLength(key, signature, scheme.Hash, hashLength));
        }
    }

    /// <summary>Recovers sLen from an RSASSA-PSS signature by hand (RFC 8017 §9.1.2 steps 4–10), with MGF1 over the same hash.</summary>
    private static int PssSaltLength(RSA key, byte[] signature, HashAlgorithmName hash, int hLen)
    {
        RSAParameters p = key.ExportParameters(includePrivateParameters: false);
        BigInteger n = new(p.Modulus, isUnsigned: true, isBigEndian: true);
        BigInteger e = new(p.Exponent, isUnsigned: true, isBigEndian: true);
        BigInteger m = BigInteger.ModPow(new BigInteger(signature, isUnsigned: true, isBigEndian: true), e, n);
        int emLen = p.Modulus!.Length; // modBits − 1 = 2047 → emLen = 256
        byte[] em = new byte[emLen];
        byte[] raw = m.ToByteArray(isUnsigned: true, isBigEndian: true);
        raw.CopyTo(em, emLen - raw.Length);
        Assert.Equal(0xBC, em[^1]);
        byte[] maskedDb = em[..(emLen - hLen - 1)];
        byte[] h = em[(emLen - hLen - 1)..^1];
        byte[] mask = new byte[maskedDb.Length];
        for (int counter = 0, offset = 0; offset < mask.Length; counter++, offset += hLen)
        {
            byte[] block = CryptographicOperations.HashData(hash, [.. h, (byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter]);
            block.AsSpan(0, Math.Min(hLen, mask.Length - offset)).CopyTo(mask.AsSpan(offset));
        }
        for (int i = 0; i < maskedDb.Length; i++) maskedDb[i] ^= mask[i];
        maskedDb[0] &= 0x7F; // 8·emLen − emBits = 1 bit
        int one = Array.IndexOf(maskedDb, (byte)1);
        Assert.True(maskedDb[..one].All(b => b == 0));
        return maskedDb.Length - one - 1;
    }

    public static TheoryData<string, string> EcdsaSchemes => new()
    {
        { "ecdsa-sha256", "nistP256" },
        { "ecdsa-sha384", "nistP384" },
        { "ecdsa-sha512", "nistP521" },
    };

    [Theory]
    [MemberData(nameof(EcdsaSchemes))]
    public void Ecdsa_sign_verify_round_trip_in_both_formats(string keyword, string curve)
    {
        SignatureScheme scheme = Scheme(keyword);
        using ECDsa key = ECDsa.Create(CurveNamed(curve));
        int fieldBytes = (key.KeySize + 7) / 8;
        byte[] data = RandomNumberGenerator.GetBytes(200);

        byte[] raw = scheme.Sign(key, data, rfc7427: false);
        Assert.Equal(2 * fieldBytes, raw.Length); // r ‖ s (RFC 4754 §7)
        Assert.True(scheme.Verify(key, data, raw, rfc7427: false));
        Assert.False(scheme.Verify(key, data, raw, rfc7427: true));

        byte[] der = scheme.Sign(key, data, rfc7427: true);
        var reader = new AsnReader(der, AsnEncodingRules.DER); // ECDSA-Sig-Value in DER (RFC 7427 §3)
        AsnReader sequence = reader.ReadSequence();
        BigInteger r = sequence.ReadInteger(), s = sequence.ReadInteger();
        sequence.ThrowIfNotEmpty();
        reader.ThrowIfNotEmpty();
        Assert.True(r.Sign > 0 && s.Sign > 0);
        Assert.True(scheme.Verify(key, data, der, rfc7427: true));
        Assert.False(scheme.Verify(key, data, der, rfc7427: false));

        // Re-encoding r and s as r ‖ s gives a signature the raw format accepts.
        byte[] rs = [.. Fixed(r, fieldBytes), .. Fixed(s, fieldBytes)];
        Assert.True(scheme.Verify(key, data, rs, rfc7427: false));

        data[^1] ^= 0x40;
        Assert.False(scheme.Verify(key, data, raw, rfc7427: false));
        Assert.False(scheme.Verify(key, data, der, rfc7427: true));
    }

    private static byte[] Fixed(BigInteger value, int size)
    {
        byte[] raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] result = new byte[size];
        raw.CopyTo(result, size - raw.Length);
        return result;
    }

    [Fact]
    public void A_key_of_the_wrong_family_cannot_sign_and_never_verifies()
    {
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        RSA rsa = s_rsa2048.Value;
        byte[] data = [1, 2, 3];
        Assert.Throws<ArgumentException>(() => Scheme("rsa-sha256").Sign(ec, data, rfc7427: true));
        Assert.Throws<ArgumentException>(() => Scheme("ecdsa-sha256").Sign(rsa, data, rfc7427: true));
        Assert.False(Scheme("rsa-sha256").Verify(ec, data, Scheme("ecdsa-sha256").Sign(ec, data, rfc7427: true), rfc7427: true));
        Assert.False(Scheme("ecdsa-sha256").Verify(rsa, data, Scheme("rsa-sha256").Sign(rsa, data, rfc7427: true), rfc7427: true));
    }
}
