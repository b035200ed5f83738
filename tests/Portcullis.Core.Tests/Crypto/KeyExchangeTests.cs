using System.Numerics;
using System.Security.Cryptography;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.KeyExchange;
using Portcullis.Core.Crypto.Native;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Tests.Crypto;

/// <summary>
/// Known-answer tests of the ECP (RFC 5903) and Montgomery (RFC 7748, RFC 8031) key exchanges, and of public value
/// validation. The MODP groups are in <see cref="ModpKeyExchangeTests"/>, the registry-wide checks in
/// <see cref="KeyExchangeRegistryTests"/>.
/// </summary>
public class KeyExchangeTests
{
    internal static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    // ---------------------------------------------------------------- ECP groups 19, 20, 21: RFC 5903 §8

    /// <summary>RFC 5903 §8.1 (256-bit), §8.2 (384-bit), §8.3 (521-bit): i, g^i x/y, r, g^r x/y, g^ir x.</summary>
    public static TheoryData<string, string, string, string, string, string, string, string> Rfc5903 => new()
    {
        {
            "ecp256",
            "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
            "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
            "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
            "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
            "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
            "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
            "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE"
        },
        {
            "ecp384",
            "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
            "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA",
            "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
            "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942 E0308312 916B8ED2 960E4BD5 5A7448FC",
            "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571",
            "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
            "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746"
        },
        {
            "ecp521",
            "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0 95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
            "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E",
            "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
            "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E 9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
            "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
            "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87 220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
            "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04 D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA"
        },
    };

    private static EcpGroup Group(string keyword) => keyword switch
    {
        "ecp256" => EcpGroup.P256,
        "ecp384" => EcpGroup.P384,
        "ecp521" => EcpGroup.P521,
        _ => throw new ArgumentOutOfRangeException(nameof(keyword)),
    };

    /// <summary>An ECP exchange holding the private key d alone: the public point is the implementation's own computation.</summary>
    private static EcpKeyExchange Ecp(string keyword, string d)
    {
        return new EcpKeyExchange(Group(keyword), Hex(d));
    }

    [Theory]
    [MemberData(nameof(Rfc5903))]
    public void Ecp_public_values_and_shared_secret_match_RFC_5903(string keyword, string i, string gix, string giy, string r, string grx, string gry, string girx)
    {
        using EcpKeyExchange initiator = Ecp(keyword, i);
        using EcpKeyExchange responder = Ecp(keyword, r);

        // KE data is x ‖ y, each padded to the field size (RFC 5903 §7).
        Assert.Equal(Convert.ToHexString(Hex(gix + giy)), Convert.ToHexString(initiator.PublicValue));
        Assert.Equal(Convert.ToHexString(Hex(grx + gry)), Convert.ToHexString(responder.PublicValue));

        // The shared secret is the x coordinate alone (RFC 5903 §9).
        Assert.Equal(KeyExchangeError.None, responder.Respond(initiator.PublicValue, out SecretBuffer? atResponder));
        Assert.Equal(KeyExchangeError.None, initiator.Complete(responder.PublicValue, out SecretBuffer? atInitiator));
        using (atResponder)
        using (atInitiator)
        {
            Assert.Equal(Convert.ToHexString(Hex(girx)), Convert.ToHexString(atInitiator!.ReadOnlySpan));
            Assert.Equal(Convert.ToHexString(Hex(girx)), Convert.ToHexString(atResponder!.ReadOnlySpan));
        }
    }

    [Theory]
    [MemberData(nameof(Rfc5903))]
    public void Ecp_peer_value_from_RFC_5903_gives_the_shared_secret(string keyword, string i, string gix, string giy, string r, string grx, string gry, string girx)
    {
        _ = gix; _ = giy; _ = r;
        // The peer's value taken from the RFC text, not from our own computation.
        using EcpKeyExchange initiator = Ecp(keyword, i);
        Assert.Equal(KeyExchangeError.None, initiator.Complete(Hex(grx + gry), out SecretBuffer? secret));
        using (secret) Assert.Equal(Convert.ToHexString(Hex(girx)), Convert.ToHexString(secret!.ReadOnlySpan));
    }

    [Theory]
    [InlineData("ecp256")]
    [InlineData("ecp384")]
    [InlineData("ecp521")]
    public void Ecp_refuses_points_off_the_curve_and_wrong_lengths_without_throwing(string keyword)
    {
        var t = TransformRegistry.Get<KeyExchangeTransform>(keyword);
        int size = Group(keyword).CoordinateSize;
        using IKeyExchange a = t.CreateInitiator();
        using IKeyExchange b = t.CreateResponder();
        byte[] good = b.PublicValue.ToArray();

        byte[] offCurve = (byte[])good.Clone();
        offCurve[^1] ^= 0x01; // y + 1 or y − 1: (x, y') is not on the curve
        Assert.Equal(KeyExchangeError.InvalidPublicValue, a.Complete(offCurve, out SecretBuffer? s1));
        Assert.Null(s1);

        byte[] swapped = [.. good.AsSpan(size), .. good.AsSpan(0, size)]; // (y, x)
        Assert.Equal(KeyExchangeError.InvalidPublicValue, a.Respond(swapped, out SecretBuffer? s2));
        Assert.Null(s2);

        // The point at infinity has no affine encoding; all zeroes is (0, 0), on none of these curves.
        Assert.Equal(KeyExchangeError.InvalidPublicValue, a.Complete(new byte[2 * size], out SecretBuffer? s3));
        Assert.Null(s3);

        // Coordinates ≥ p (all ones) are out of range.
        byte[] ones = new byte[2 * size];
        ones.AsSpan().Fill(0xFF);
        Assert.Equal(KeyExchangeError.InvalidPublicValue, a.Complete(ones, out SecretBuffer? s4));
        Assert.Null(s4);

        Assert.Equal(KeyExchangeError.InvalidLength, a.Complete(good.AsSpan(0, good.Length - 1), out SecretBuffer? s5));
        Assert.Null(s5);
        Assert.Equal(KeyExchangeError.InvalidLength, a.Complete([.. good, 0], out SecretBuffer? s6));
        Assert.Null(s6);
        // SEC1 uncompressed form (04 ‖ x ‖ y) is not IKE's encoding.
        Assert.Equal(KeyExchangeError.InvalidLength, a.Complete([0x04, .. good], out SecretBuffer? s7));
        Assert.Null(s7);
        Assert.Equal(KeyExchangeError.InvalidLength, a.Complete([], out SecretBuffer? s8));
        Assert.Null(s8);

        // And the genuine value still works afterwards.
        Assert.Equal(KeyExchangeError.None, a.Complete(good, out SecretBuffer? s9));
        s9!.Dispose();
    }

    [Theory]
    [InlineData("ecp256")]
    [InlineData("ecp384")]
    [InlineData("ecp521")]
    public void Ecp_agrees_with_the_BCL_on_fresh_keys(string keyword)
    {
        // An independent implementation on the other side: the BCL's ECDiffieHellman with its own random key.
        var t = TransformRegistry.Get<KeyExchangeTransform>(keyword);
        int size = Group(keyword).CoordinateSize;
        ECCurve curve = keyword switch { "ecp256" => ECCurve.NamedCurves.nistP256, "ecp384" => ECCurve.NamedCurves.nistP384, _ => ECCurve.NamedCurves.nistP521 };
        for (int round = 0; round < 4; round++)
        {
            using IKeyExchange ours = t.CreateInitiator();
            using ECDiffieHellman bcl = ECDiffieHellman.Create(curve);
            ECParameters q = bcl.ExportParameters(false);
            byte[] bclValue = [.. new byte[size - q.Q.X!.Length], .. q.Q.X, .. new byte[size - q.Q.Y!.Length], .. q.Q.Y];
            Assert.Equal(KeyExchangeError.None, ours.Complete(bclValue, out SecretBuffer? secret));
            using ECDiffieHellman peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = curve,
                Q = new ECPoint { X = ours.PublicValue[..size].ToArray(), Y = ours.PublicValue[size..].ToArray() },
            });
            byte[] expected = bcl.DeriveRawSecretAgreement(peer.PublicKey);
            using (secret) Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(secret!.ReadOnlySpan));
        }
    }

    [Fact]
    public void Ecp_exchange_refuses_use_after_dispose()
    {
        // Dispose frees the EVP_PKEY (OpenSSL clears the private scalar); a late use must not reach a freed key.
        var t = TransformRegistry.Get<KeyExchangeTransform>("ecp256");
        using IKeyExchange other = t.CreateResponder();
        IKeyExchange ke = t.CreateInitiator();
        ke.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ke.Complete(other.PublicValue, out _));
        ke.Dispose();
    }

    // ---------------------------------------------------------------- Curve25519 / Curve448: RFC 7748, RFC 8031

    private static MontgomeryKeyExchange X25519(string scalar) => new(LibCrypto.EVP_PKEY_X25519, 32, Hex(scalar));
    private static MontgomeryKeyExchange X448(string scalar) => new(LibCrypto.EVP_PKEY_X448, 56, Hex(scalar));

    private const string Alice25519 = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic25519 = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string Bob25519 = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic25519 = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string Shared25519 = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    private const string Alice448 = "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b";
    private const string AlicePublic448 = "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0";
    private const string Bob448 = "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d";
    private const string BobPublic448 = "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609";
    private const string Shared448 = "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d";

    [Fact]
    public void X25519_Alice_and_Bob_match_RFC_7748_section_6_1()
    {
        using MontgomeryKeyExchange alice = X25519(Alice25519);
        using MontgomeryKeyExchange bob = X25519(Bob25519);
        AssertAliceAndBobAgree(alice, bob, AlicePublic25519, BobPublic25519, Shared25519);
    }

    [Fact]
    public void X448_Alice_and_Bob_match_RFC_7748_section_6_2()
    {
        using MontgomeryKeyExchange alice = X448(Alice448);
        using MontgomeryKeyExchange bob = X448(Bob448);
        AssertAliceAndBobAgree(alice, bob, AlicePublic448, BobPublic448, Shared448);
    }

    /// <summary>RFC 7748 §6: both public values, and the same shared secret computed on each side.</summary>
    private static void AssertAliceAndBobAgree(MontgomeryKeyExchange alice, MontgomeryKeyExchange bob, string alicePublic, string bobPublic, string shared)
    {
        Assert.Equal(alicePublic, Convert.ToHexStringLower(alice.PublicValue));
        Assert.Equal(bobPublic, Convert.ToHexStringLower(bob.PublicValue));

        Assert.Equal(KeyExchangeError.None, bob.Respond(Hex(alicePublic), out SecretBuffer? atBob));
        Assert.Equal(KeyExchangeError.None, alice.Complete(Hex(bobPublic), out SecretBuffer? atAlice));
        using (atBob)
        using (atAlice)
        {
            Assert.Equal(shared, Convert.ToHexStringLower(atAlice!.ReadOnlySpan));
            Assert.Equal(shared, Convert.ToHexStringLower(atBob!.ReadOnlySpan));
        }
    }

    /// <summary>RFC 7748 §5.2: scalar, input u-coordinate, output u-coordinate (the second X25519 u has bit 255 set, which must be masked).</summary>
    [Theory]
    [InlineData(32,
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData(32,
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    [InlineData(56,
        "3d262fddf9ec8e88495266fea19a34d28882acef045104d0d1aae121700a779c984c24f8cdd78fbff44943eba368f54b29259a4f1c600ad3",
        "06fce640fa3487bfda5f6cf2d5263f8aad88334cbd07437f020f08f9814dc031ddbdc38c19c6da2583fa5429db94ada18aa7a7fb4ef8a086",
        "ce3e4ff95a60dc6697da1db1d85e6afbdf79b50a2412d7546d5f239fe14fbaadeb445fc66a01b0779d98223961111e21766282f73dd96b6f")]
    [InlineData(56,
        "203d494428b8399352665ddca42f9de8fef600908e0d461cb021f8c538345dd77c3e4806e25f46d3315c44e0a5b4371282dd2c8d5be3095f",
        "0fbcc2f993cd56d3305b0b7d9e55d4c1a8fb5dbb52f8e9a1e9b6201b165d015894e56c4d3570bee52fe205e28a78b91cdfbde71ce8d157db",
        "884a02576239ff7a2f2f63b2db6a9ff37047ac13568e1e30fe63c4a7ad1b3ee3a5700df34321d62077e63633c575c1c954514e99da7c179d")]
    public void Montgomery_scalar_multiplication_matches_RFC_7748_section_5_2(int size, string scalar, string u, string expected)
    {
        using MontgomeryKeyExchange kx = size == 32 ? X25519(scalar) : X448(scalar);
        Assert.Equal(KeyExchangeError.None, kx.Complete(Hex(u), out SecretBuffer? result));
        using (result) Assert.Equal(expected, Convert.ToHexStringLower(result!.ReadOnlySpan));
    }

    /// <summary>RFC 7748 §5.2 iterated test: k = u = base point; k, u = X(k, u), k. (The 1,000,000 iteration value would take minutes.)</summary>
    [Theory]
    [InlineData(32, 1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")]
    [InlineData(32, 1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")]
    [InlineData(56, 1, "3f482c8a9f19b01e6c46ee9711d9dc14fd4bf67af30765c2ae2b846a4d23a8cd0db897086239492caf350b51f833868b9bc2b3bca9cf4113")]
    [InlineData(56, 1000, "aa3b4749d55b9daf1e5b00288826c467274ce3ebbdd5c17b975e09d4af6c67cf10d087202db88286e2b79fceea3ec353ef54faa26e219f38")]
    public void Montgomery_iterated_scalar_multiplication_matches_RFC_7748_section_5_2(int size, int iterations, string expected)
    {
        int type = size == 32 ? LibCrypto.EVP_PKEY_X25519 : LibCrypto.EVP_PKEY_X448;
        byte[] k = new byte[size];
        k[0] = size == 32 ? (byte)9 : (byte)5;
        byte[] u = (byte[])k.Clone();
        for (int n = 0; n < iterations; n++)
        {
            using var kx = new MontgomeryKeyExchange(type, size, k);
            Assert.Equal(KeyExchangeError.None, kx.Complete(u, out SecretBuffer? result));
            using (result)
            {
                u = k;
                k = result!.ReadOnlySpan.ToArray();
            }
        }
        Assert.Equal(expected, Convert.ToHexStringLower(k));
    }

    /// <summary>
    /// Small-order u-coordinates of Curve25519 (0, 1, the two points of order 8, p − 1, and the non-canonical p and
    /// p + 1): X25519 of any of them is all zeroes, which RFC 8031 §2.3 (and RFC 7748 §6.1) requires to be refused.
    /// </summary>
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    [InlineData("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157")]
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    public void X25519_small_order_peer_value_gives_DegenerateSharedSecret(string peer)
    {
        using MontgomeryKeyExchange alice = X25519(Alice25519);
        Assert.Equal(KeyExchangeError.DegenerateSharedSecret, alice.Complete(Hex(peer), out SecretBuffer? s1));
        Assert.Null(s1);
        using IKeyExchange random = TransformRegistry.Get<KeyExchangeTransform>("curve25519").CreateResponder();
        Assert.Equal(KeyExchangeError.DegenerateSharedSecret, random.Respond(Hex(peer), out SecretBuffer? s2));
        Assert.Null(s2);
    }

    /// <summary>Curve448: 0, 1, p − 1, and the non-canonical p and p + 1 (p = 2^448 − 2^224 − 1, little-endian).</summary>
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("fefffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("00000000000000000000000000000000000000000000000000000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    public void X448_small_order_peer_value_gives_DegenerateSharedSecret(string peer)
    {
        using MontgomeryKeyExchange alice = X448(Alice448);
        Assert.Equal(KeyExchangeError.DegenerateSharedSecret, alice.Complete(Hex(peer), out SecretBuffer? s1));
        Assert.Null(s1);
        using IKeyExchange random = TransformRegistry.Get<KeyExchangeTransform>("curve448").CreateResponder();
        Assert.Equal(KeyExchangeError.DegenerateSharedSecret, random.Respond(Hex(peer), out SecretBuffer? s2));
        Assert.Null(s2);
    }

    [Theory]
    [InlineData("curve25519", 32)]
    [InlineData("curve448", 56)]
    public void Montgomery_refuses_wrong_lengths(string keyword, int size)
    {
        using IKeyExchange kx = TransformRegistry.Get<KeyExchangeTransform>(keyword).CreateInitiator();
        foreach (int length in (int[])[0, size - 1, size + 1, 2 * size])
        {
            byte[] peer = RandomNumberGenerator.GetBytes(length);
            Assert.Equal(KeyExchangeError.InvalidLength, kx.Complete(peer, out SecretBuffer? secret));
            Assert.Null(secret);
        }
    }

    [Fact]
    public void Montgomery_one_bit_change_in_the_peer_value_changes_the_secret()
    {
        using MontgomeryKeyExchange alice = X25519(Alice25519);
        byte[] bob = Hex(BobPublic25519);
        bob[0] ^= 0x01;
        Assert.Equal(KeyExchangeError.None, alice.Complete(bob, out SecretBuffer? secret));
        using (secret) Assert.NotEqual(Shared25519, Convert.ToHexStringLower(secret!.ReadOnlySpan));
    }
}

/// <summary>
/// The MODP primes derived from π (RFC 2412 Appendix E, RFC 3526), fixed-exponent Diffie-Hellman against
/// <see cref="BigInteger.ModPow"/>, and public value validation.
/// </summary>
public class ModpKeyExchangeTests
{
    private static byte[] Hex(string hex) => KeyExchangeTests.Hex(hex);

    /// <summary>n, k, the prime's constant, the transform keyword.</summary>
    public static TheoryData<int, int, string, string> Groups => new()
    {
        { 768, 149686, ModpPrimes.Prime768, "modp768" },
        { 1024, 129093, ModpPrimes.Prime1024, "modp1024" },
        { 1536, 741804, ModpPrimes.Prime1536, "modp1536" },
        { 2048, 124476, ModpPrimes.Prime2048, "modp2048" },
        { 3072, 1690314, ModpPrimes.Prime3072, "modp3072" },
        { 4096, 240904, ModpPrimes.Prime4096, "modp4096" },
        { 6144, 929484, ModpPrimes.Prime6144, "modp6144" },
        { 8192, 4743158, ModpPrimes.Prime8192, "modp8192" },
    };

    private static readonly Lazy<BigInteger> s_piScaled = new(() => PiTimesPowerOfTwo(PiBits));
    private const int PiBits = 8192 + 64;

    /// <summary>⌊2^bits · π⌋ (up to a few units in the last place), by Machin's formula π = 16·atan(1/5) − 4·atan(1/239).</summary>
    private static BigInteger PiTimesPowerOfTwo(int bits)
    {
        BigInteger one = BigInteger.One << bits;
        return 16 * ArcTanInverse(5, one) - 4 * ArcTanInverse(239, one);
    }

    /// <summary>atan(1/x) · one = Σ (−1)^k · one / ((2k + 1) · x^(2k+1)).</summary>
    private static BigInteger ArcTanInverse(int x, BigInteger one)
    {
        BigInteger power = one / x, sum = power, x2 = x * x;
        for (int k = 1; !power.IsZero; k++)
        {
            power /= x2;
            BigInteger term = power / (2 * k + 1);
            sum += (k & 1) == 1 ? -term : term;
        }
        return sum;
    }

    /// <summary>p = 2^n − 2^(n−64) − 1 + 2^64 · (⌊2^(n−130) · π⌋ + k).</summary>
    private static BigInteger DerivePrime(int n, int k)
    {
        // 64 guard bits below the binary point: the floor is exact unless π's expansion had 64 ones or zeros in a row there.
        BigInteger floorPi = s_piScaled.Value >> (PiBits - (n - 130));
        return (BigInteger.One << n) - (BigInteger.One << (n - 64)) - 1 + ((floorPi + k) << 64);
    }

    private static BigInteger FromBigEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    private static byte[] ToBigEndian(BigInteger value, int size)
    {
        byte[] raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        Assert.True(raw.Length <= size);
        byte[] padded = new byte[size];
        raw.CopyTo(padded, size - raw.Length);
        return padded;
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Modp_prime_is_the_RFC_formula_evaluated_with_pi(int n, int k, string primeHex, string keyword)
    {
        BigInteger derived = DerivePrime(n, k);
        Assert.Equal(n, (int)derived.GetBitLength());
        Assert.Equal(Convert.ToHexString(ToBigEndian(derived, n / 8)), primeHex);
        Assert.Equal(n / 8, TransformRegistry.Get<KeyExchangeTransform>(keyword).InitiatorValueSize);
    }

    [Fact]
    public void Pi_is_computed_correctly()
    {
        // π = 3.243F6A8885A308D313198A2E03707344A4093822299F31D008... (hexadecimal)
        BigInteger first = s_piScaled.Value >> (PiBits - 200);
        Assert.Equal("3243F6A8885A308D313198A2E03707344A4093822299F31D008",
            Convert.ToHexString(first.ToByteArray(isUnsigned: true, isBigEndian: true)).TrimStart('0'));
    }

    /// <summary>
    /// A few 32-bit words of each prime as printed in RFC 2409 §6.1/§6.2 and RFC 3526 §2–§7 (start, a run from the
    /// middle where the RFC texts were checked, end), spot-checked against the constants.
    /// </summary>
    [Theory]
    [InlineData("768", "EF9519B3 CD3A431B 302B0A6D F25F1437", "F44C42E9 A63A3620 FFFFFFFF FFFFFFFF")]
    [InlineData("1024", "F44C42E9 A637ED6B 0BFF5CB6 F406B7ED", "49286651 ECE65381 FFFFFFFF FFFFFFFF")]
    [InlineData("1536", "9ED52907 7096966D 670C354E 4ABC9804", "F1746C08 CA237327 FFFFFFFF FFFFFFFF")]
    [InlineData("2048", "3995497C EA956AE5 15D22618 98FA0510", "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF")]
    [InlineData("3072", "ABF5AE8C DB0933D7 1E8C94E0 4A25619D", "4B82D120 A93AD2CA FFFFFFFF FFFFFFFF")]
    [InlineData("4096", "88719A10 BDBA5B26 99C32718 6AF4E23C", "4DF435C9 34063199 FFFFFFFF FFFFFFFF")]
    [InlineData("6144", "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F", "6DCC4024 FFFFFFFF FFFFFFFF")]
    [InlineData("8192", "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F", "60C980DD 98EDD3DF FFFFFFFF FFFFFFFF")]
    public void Modp_prime_constants_contain_words_printed_in_the_RFCs(string bits, string middle, string end)
    {
        string prime = bits switch
        {
            "768" => ModpPrimes.Prime768,
            "1024" => ModpPrimes.Prime1024,
            "1536" => ModpPrimes.Prime1536,
            "2048" => ModpPrimes.Prime2048,
            "3072" => ModpPrimes.Prime3072,
            "4096" => ModpPrimes.Prime4096,
            "6144" => ModpPrimes.Prime6144,
            _ => ModpPrimes.Prime8192,
        };
        Assert.StartsWith("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1", prime);
        Assert.Contains(middle.Replace(" ", ""), prime);
        Assert.EndsWith(end.Replace(" ", ""), prime);
    }

    public static TheoryData<string, int, string> DhGroups => new()
    {
        { ModpPrimes.Prime1024, 256, "modp1024" },
        { ModpPrimes.Prime1536, 256, "modp1536" },
        { ModpPrimes.Prime2048, 256, "modp2048" },
        { ModpPrimes.Prime8192, 256, "modp8192" }, // a 256-bit exponent keeps BigInteger.ModPow quick at 8192 bits
    };

    [Theory]
    [MemberData(nameof(DhGroups))]
    public void Modp_fixed_exponent_Diffie_Hellman_equals_BigInteger_ModPow(string primeHex, int exponentBits, string keyword)
    {
        _ = keyword;
        var group = new ModpGroup(primeHex, exponentBits);
        BigInteger p = FromBigEndian(group.PrimeBytes);
        int size = group.Size;

        // Fixed exponents with the top bit set and varied bytes (a SHA-512 stream), as long as the group's own.
        byte[] x = Stream("initiator", exponentBits / 8);
        byte[] y = Stream("responder", exponentBits / 8);
        using var initiator = new ModpKeyExchange(group, x);
        using var responder = new ModpKeyExchange(group, y);

        BigInteger gx = BigInteger.ModPow(2, FromBigEndian(x), p);
        BigInteger gy = BigInteger.ModPow(2, FromBigEndian(y), p);
        Assert.Equal(Convert.ToHexString(ToBigEndian(gx, size)), Convert.ToHexString(initiator.PublicValue));
        Assert.Equal(Convert.ToHexString(ToBigEndian(gy, size)), Convert.ToHexString(responder.PublicValue));

        BigInteger gxy = BigInteger.ModPow(gy, FromBigEndian(x), p);
        Assert.Equal(gxy, BigInteger.ModPow(gx, FromBigEndian(y), p));
        Assert.Equal(KeyExchangeError.None, initiator.Complete(responder.PublicValue, out SecretBuffer? atInitiator));
        Assert.Equal(KeyExchangeError.None, responder.Respond(initiator.PublicValue, out SecretBuffer? atResponder));
        using (atInitiator)
        using (atResponder)
        {
            // RFC 7296 §2.14: g^ir is padded with zeroes to the prime's length.
            Assert.Equal(size, atInitiator!.Length);
            Assert.Equal(Convert.ToHexString(ToBigEndian(gxy, size)), Convert.ToHexString(atInitiator.ReadOnlySpan));
            Assert.Equal(Convert.ToHexString(ToBigEndian(gxy, size)), Convert.ToHexString(atResponder!.ReadOnlySpan));
        }
    }

    [Fact]
    public void Modp_shared_secret_with_leading_zero_bytes_is_padded_to_the_prime_length()
    {
        // Walk peer values y = 2^e (so g^xy = (2^x)^e) until g^xy starts with a zero byte: keeps the padding honest.
        var group = new ModpGroup(ModpPrimes.Prime768, 256);
        BigInteger p = FromBigEndian(group.PrimeBytes);
        byte[] x = Stream("padding", 32);
        using var kx = new ModpKeyExchange(group, x);
        BigInteger a = BigInteger.ModPow(2, FromBigEndian(x), p), peer = 2, expected = a;
        for (int e = 1; e < 20000; e++, peer = peer * 2 % p, expected = expected * a % p)
        {
            if (e < 2 || expected.GetBitLength() > 768 - 8) continue;
            Assert.Equal(expected, BigInteger.ModPow(peer, FromBigEndian(x), p));
            Assert.Equal(KeyExchangeError.None, kx.Complete(ToBigEndian(peer, 96), out SecretBuffer? secret));
            using (secret)
            {
                Assert.Equal(96, secret!.Length);
                Assert.Equal(0, secret.ReadOnlySpan[0]);
                Assert.Equal(Convert.ToHexString(ToBigEndian(expected, 96)), Convert.ToHexString(secret.ReadOnlySpan));
            }
            return;
        }
        Assert.Fail("no exponent below 20000 gave a short g^xy");
    }

    private static byte[] Stream(string label, int length)
    {
        byte[] output = new byte[length];
        byte[] block = SHA512.HashData(System.Text.Encoding.ASCII.GetBytes(label));
        for (int offset = 0; offset < length; offset += block.Length)
        {
            block.AsSpan(0, Math.Min(block.Length, length - offset)).CopyTo(output.AsSpan(offset));
            block = SHA512.HashData(block);
        }
        output[0] |= 0x80;
        return output;
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Modp_public_value_validation(int n, int k, string primeHex, string keyword)
    {
        _ = k; _ = primeHex;
        int size = n / 8;
        using IKeyExchange kx = TransformRegistry.Get<KeyExchangeTransform>(keyword).CreateInitiator();
        BigInteger p = FromBigEndian(Hex(primeHex));

        // RFC 7296 §5 / NIST SP 800-56A §5.6.2.3.1: 1 < y < p − 1.
        foreach (BigInteger bad in (BigInteger[])[0, 1, p - 1, p, p + 1, (BigInteger.One << n) - 1])
        {
            Assert.Equal(KeyExchangeError.InvalidPublicValue, kx.Complete(ToBigEndian(bad, size), out SecretBuffer? secret));
            Assert.Null(secret);
        }
        // A value longer than p, even one whose extra leading byte is zero, is the wrong length (RFC 7296 §3.4).
        Assert.Equal(KeyExchangeError.InvalidLength, kx.Complete(ToBigEndian(2, size + 1), out SecretBuffer? s1));
        Assert.Null(s1);
        Assert.Equal(KeyExchangeError.InvalidLength, kx.Complete([0x01, .. ToBigEndian(p, size)], out SecretBuffer? s2));
        Assert.Null(s2);
        // So is a short one, even a valid number.
        Assert.Equal(KeyExchangeError.InvalidLength, kx.Complete(ToBigEndian(2, size - 1), out SecretBuffer? s3));
        Assert.Null(s3);

        foreach (BigInteger good in (BigInteger[])[2, 3, p - 2, (p - 1) / 2])
        {
            Assert.Equal(KeyExchangeError.None, kx.Complete(ToBigEndian(good, size), out SecretBuffer? secret));
            Assert.Equal(size, secret!.Length);
            secret.Dispose();
        }
    }

    [Fact]
    public void Modp_validation_boundaries_are_exact_for_every_byte_position()
    {
        // The constant-time comparison works byte by byte with borrows: probe p − 2 ± 1 and 2 ± 1 in a group.
        var group = new ModpGroup(ModpPrimes.Prime2048, 256);
        BigInteger p = FromBigEndian(group.PrimeBytes);
        Assert.True(group.IsValidPublicValue(ToBigEndian(p - 2, 256)));
        Assert.False(group.IsValidPublicValue(ToBigEndian(p - 1, 256)));
        Assert.True(group.IsValidPublicValue(ToBigEndian(p - 3, 256)));
        Assert.True(group.IsValidPublicValue(ToBigEndian(2, 256)));
        Assert.False(group.IsValidPublicValue(ToBigEndian(1, 256)));
        Assert.True(group.IsValidPublicValue(ToBigEndian(BigInteger.One << 8, 256)));    // 0x0100: low byte 0
        Assert.True(group.IsValidPublicValue(ToBigEndian(BigInteger.One << 2040, 256))); // only the top byte set
        Assert.False(group.IsValidPublicValue(ToBigEndian(p - 2 + (BigInteger.One << 64), 256)));
        Assert.True(group.IsValidPublicValue(ToBigEndian(p - (BigInteger.One << 64), 256)));
    }
}

/// <summary>Every key exchange in the registry, and ML-KEM through the registry (the algorithm itself is tested in MlKemTests).</summary>
public class KeyExchangeRegistryTests
{
    public static TheoryData<string> Keywords()
    {
        var data = new TheoryData<string>();
        foreach (KeyExchangeTransform t in TransformRegistry.All.OfType<KeyExchangeTransform>()) data.Add(t.Keyword);
        return data;
    }

    [Fact]
    public void Registry_has_every_RFC_group()
    {
        string[] expected = ["modp768", "modp1024", "modp1536", "modp2048", "modp3072", "modp4096", "modp6144", "modp8192",
            "ecp256", "ecp384", "ecp521", "curve25519", "curve448", "mlkem512", "mlkem768", "mlkem1024"];
        Assert.Equal(expected.Order(), TransformRegistry.All.OfType<KeyExchangeTransform>().Select(t => t.Keyword).Order());
    }

    [Theory]
    [MemberData(nameof(Keywords))]
    public void Initiator_and_responder_agree_and_KE_data_has_the_advertised_length(string keyword)
    {
        var t = TransformRegistry.Get<KeyExchangeTransform>(keyword);
        using IKeyExchange initiator = t.CreateInitiator();
        using IKeyExchange responder = t.CreateResponder();
        Assert.Equal(t.InitiatorValueSize, initiator.PublicValue.Length);

        Assert.Equal(KeyExchangeError.None, responder.Respond(initiator.PublicValue, out SecretBuffer? atResponder));
        Assert.Equal(t.ResponderValueSize, responder.PublicValue.Length);
        Assert.Equal(KeyExchangeError.None, initiator.Complete(responder.PublicValue, out SecretBuffer? atInitiator));
        using (atResponder)
        using (atInitiator)
        {
            Assert.Equal(Convert.ToHexString(atResponder!.ReadOnlySpan), Convert.ToHexString(atInitiator!.ReadOnlySpan));
            Assert.NotEqual(0, atInitiator.Length);
            Assert.Contains(atInitiator.ReadOnlySpan.ToArray(), b => b != 0);
        }

        // Two exchanges never share a key.
        using IKeyExchange other = t.CreateInitiator();
        Assert.NotEqual(Convert.ToHexString(initiator.PublicValue), Convert.ToHexString(other.PublicValue));
    }

    [Theory]
    [InlineData("mlkem512", 800, 768)]
    [InlineData("mlkem768", 1184, 1088)]
    [InlineData("mlkem1024", 1568, 1568)]
    public void MlKem_round_trip_through_the_registry(string keyword, int encapsulationKeySize, int ciphertextSize)
    {
        var t = TransformRegistry.Get<KeyExchangeTransform>(keyword);
        Assert.True(t.IsKem);
        Assert.Equal(encapsulationKeySize, t.InitiatorValueSize);
        Assert.Equal(ciphertextSize, t.ResponderValueSize);

        using IKeyExchange initiator = t.CreateInitiator();
        using IKeyExchange responder = t.CreateResponder();
        Assert.Equal(0, responder.PublicValue.Length); // nothing to send before the encapsulation key arrives
        Assert.Equal(KeyExchangeError.None, responder.Respond(initiator.PublicValue, out SecretBuffer? atResponder));
        Assert.Equal(KeyExchangeError.None, initiator.Complete(responder.PublicValue, out SecretBuffer? atInitiator));
        using (atResponder)
        using (atInitiator)
        {
            Assert.Equal(32, atInitiator!.Length);
            Assert.Equal(Convert.ToHexString(atResponder!.ReadOnlySpan), Convert.ToHexString(atInitiator.ReadOnlySpan));
        }

        // A changed ciphertext decapsulates (implicit rejection) to a different secret, not an error.
        byte[] tampered = responder.PublicValue.ToArray();
        tampered[0] ^= 0x01;
        Assert.Equal(KeyExchangeError.None, initiator.Complete(tampered, out SecretBuffer? rejected));
        using (rejected)
        using (IKeyExchange again = t.CreateResponder())
        {
            Assert.Equal(32, rejected!.Length);
            Assert.Equal(KeyExchangeError.None, again.Respond(initiator.PublicValue, out SecretBuffer? fresh));
            using (fresh) Assert.NotEqual(Convert.ToHexString(fresh!.ReadOnlySpan), Convert.ToHexString(rejected.ReadOnlySpan));
        }
    }

    [Theory]
    [InlineData("mlkem512")]
    [InlineData("mlkem768")]
    [InlineData("mlkem1024")]
    public void MlKem_wrong_lengths_are_refused(string keyword)
    {
        var t = TransformRegistry.Get<KeyExchangeTransform>(keyword);
        using IKeyExchange initiator = t.CreateInitiator();
        byte[] ek = initiator.PublicValue.ToArray();
        foreach (byte[] bad in (byte[][])[[], ek[..^1], [.. ek, 0], new byte[t.ResponderValueSize]])
        {
            if (bad.Length == t.InitiatorValueSize) continue;
            using IKeyExchange responder = t.CreateResponder();
            Assert.Equal(KeyExchangeError.InvalidLength, responder.Respond(bad, out SecretBuffer? secret));
            Assert.Null(secret);
        }

        foreach (int length in (int[])[0, t.ResponderValueSize - 1, t.ResponderValueSize + 1, t.InitiatorValueSize])
        {
            if (length == t.ResponderValueSize) continue;
            Assert.Equal(KeyExchangeError.InvalidLength, initiator.Complete(new byte[length], out SecretBuffer? secret));
            Assert.Null(secret);
        }
    }

    [Theory]
    [InlineData("mlkem512")]
    [InlineData("mlkem768")]
    [InlineData("mlkem1024")]
    public void MlKem_encapsulation_key_failing_the_modulus_check_is_refused(string keyword)
    {
        // FIPS 203 §7.2: every 12-bit coefficient of ek must be below q = 3329. Set the first one to 4095.
        var t = TransformRegistry.Get<KeyExchangeTransform>(keyword);
        using IKeyExchange initiator = t.CreateInitiator();
        byte[] ek = initiator.PublicValue.ToArray();
        ek[0] = 0xFF;
        ek[1] |= 0x0F;
        using IKeyExchange responder = t.CreateResponder();
        Assert.Equal(KeyExchangeError.InvalidPublicValue, responder.Respond(ek, out SecretBuffer? secret));
        Assert.Null(secret);
    }
}
