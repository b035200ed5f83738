using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Hashes;

namespace Portcullis.Core.Tests.Crypto;

/// <summary>MD4 (RFC 1320 §A.5), MS-CHAPv2 (RFC 2759 §9.2) and MPPE keys (RFC 3079 §3.5) against the RFCs' own values.</summary>
public class MsChapV2VectorTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // ---- MD4 ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("", "31d6cfe0d16ae931b73c59d7e0c089c0")]
    [InlineData("a", "bde52cb31de33e46245e05fbdbd6fb24")]
    [InlineData("abc", "a448017aaf21d8525fc10ae87aa6729d")]
    [InlineData("message digest", "d9130a8164549fe818874806e1c7014b")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536")]
    public void Md4MatchesRfc1320TestSuite(string message, string digest)
    {
        Assert.Equal(digest, Convert.ToHexStringLower(Md4.HashData(Encoding.ASCII.GetBytes(message))));
        Span<byte> into = stackalloc byte[20];
        Md4.HashData(Encoding.ASCII.GetBytes(message), into);
        Assert.Equal(digest, Convert.ToHexStringLower(into[..16]));
    }

    [Fact]
    public void Md4PaddingBoundariesAreConsistent()
    {
        // Lengths around the 56- and 64-byte padding edges: hashing the same bytes through a larger buffer's slice
        // gives the same digest, and no two lengths collide.
        byte[] data = Enumerable.Range(0, 200).Select(i => (byte)(i * 7)).ToArray();
        var seen = new HashSet<string>();
        foreach (int n in new[] { 0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200 })
            Assert.True(seen.Add(Convert.ToHexString(Md4.HashData(data.AsSpan(0, n)))));
        Assert.Throws<ArgumentException>(() => Md4.HashData([], new byte[15]));
    }

    // ---- RFC 2759 §9.2 ---------------------------------------------------------------------------------------

    private const string UserName = "User";
    private const string Password = "clientPass";
    private static readonly byte[] AuthenticatorChallenge = Hex("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
    private static readonly byte[] PeerChallenge = Hex("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");
    private static readonly byte[] ChallengeValue = Hex("D0 2E 43 86 BC E9 12 26");
    private static readonly byte[] NtResponse = Hex("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");
    private static readonly byte[] PasswordHash = Hex("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE");
    private static readonly byte[] PasswordHashHash = Hex("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");
    private const string AuthenticatorResponse = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

    [Fact]
    public void NtPasswordHashAndItsHash()
    {
        Assert.Equal(PasswordHash, MsChapV2.NtPasswordHash(Password));
        Assert.Equal(PasswordHash, MsChapV2.NtPasswordHash(Encoding.Unicode.GetBytes(Password)));
        Assert.Equal(PasswordHashHash, MsChapV2.HashNtPasswordHash(PasswordHash));
    }

    [Fact]
    public void ChallengeHashIgnoresTheDomain()
    {
        Assert.Equal(ChallengeValue, MsChapV2.ChallengeHash(PeerChallenge, AuthenticatorChallenge, UserName));
        Assert.Equal(ChallengeValue, MsChapV2.ChallengeHash(PeerChallenge, AuthenticatorChallenge, @"EXAMPLE\User"));
        Assert.Equal("User", MsChapV2.UserNameWithoutDomain(@"EXAMPLE\User"));
    }

    [Fact]
    public void ChallengeResponseAndNtResponse()
    {
        Assert.Equal(NtResponse, MsChapV2.ChallengeResponse(ChallengeValue, PasswordHash));
        Assert.Equal(NtResponse, MsChapV2.GenerateNtResponse(AuthenticatorChallenge, PeerChallenge, UserName, Password));
        Assert.Equal(NtResponse, MsChapV2.GenerateNtResponse(AuthenticatorChallenge, PeerChallenge, UserName, PasswordHash));
        Assert.Equal(NtResponse, MsChapV2.GenerateNtResponse(AuthenticatorChallenge, PeerChallenge, "User"u8, PasswordHash));
    }

    [Fact]
    public void AuthenticatorResponseAndItsCheck()
    {
        Assert.Equal(AuthenticatorResponse, MsChapV2.GenerateAuthenticatorResponse(Password, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName));
        Assert.Equal(AuthenticatorResponse, MsChapV2.GenerateAuthenticatorResponse(PasswordHash, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName));
        Assert.True(MsChapV2.CheckAuthenticatorResponse(Password, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName, AuthenticatorResponse));
        Assert.True(MsChapV2.CheckAuthenticatorResponse(PasswordHash, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName,
            AuthenticatorResponse.ToLowerInvariant().Replace("s=", "S=")));
        Assert.False(MsChapV2.CheckAuthenticatorResponse("clientPasS", NtResponse, PeerChallenge, AuthenticatorChallenge, UserName, AuthenticatorResponse));
        Assert.False(MsChapV2.CheckAuthenticatorResponse(Password, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName, AuthenticatorResponse[..^1] + "7"));
        Assert.False(MsChapV2.CheckAuthenticatorResponse(Password, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName, AuthenticatorResponse[..^1]));
        Assert.False(MsChapV2.CheckAuthenticatorResponse(Password, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName, "X" + AuthenticatorResponse[1..]));
        Assert.False(MsChapV2.CheckAuthenticatorResponse(Password, NtResponse, PeerChallenge, AuthenticatorChallenge, UserName, AuthenticatorResponse[..^1] + "G"));
    }

    [Fact]
    public void WrongLengthsAreProgrammingErrors()
    {
        Assert.Throws<ArgumentException>(() => MsChapV2.ChallengeHash(PeerChallenge[..15], AuthenticatorChallenge, UserName));
        Assert.Throws<ArgumentException>(() => MsChapV2.ChallengeResponse(ChallengeValue, PasswordHash[..15]));
        Assert.Throws<ArgumentException>(() => MsChapV2.GetMasterKey(PasswordHashHash, NtResponse[..23]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MsChapV2.GetAsymmetricStartKey(new byte[16], 32, true, true));
    }

    // ---- RFC 3079 §3.5 ---------------------------------------------------------------------------------------

    private static readonly byte[] MasterKey = Hex("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31");

    [Fact]
    public void MasterKeyFromTheRfc2759Exchange() => Assert.Equal(MasterKey, MsChapV2.GetMasterKey(PasswordHashHash, NtResponse));

    [Fact]
    public void SendStartKeysAreTheServersSendKey()
    {
        // §3.5.3 (128-bit) and §3.5.1 (40-bit) compute GetAsymmetricStartKey(MasterKey, .., IsSend = TRUE, IsServer = TRUE).
        Assert.Equal(Hex("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB"), MsChapV2.GetAsymmetricStartKey(MasterKey, 16, isSend: true, isServer: true));
        Assert.Equal(Hex("8B 7C DC 14 9B 99 3A 1B"), MsChapV2.GetAsymmetricStartKey(MasterKey, 8, isSend: true, isServer: true));
        // The server's send key is the client's receive key, and the other way round.
        Assert.Equal(MsChapV2.GetAsymmetricStartKey(MasterKey, 16, true, true), MsChapV2.GetAsymmetricStartKey(MasterKey, 16, false, false));
        Assert.Equal(MsChapV2.GetAsymmetricStartKey(MasterKey, 16, false, true), MsChapV2.GetAsymmetricStartKey(MasterKey, 16, true, false));
        Assert.NotEqual(MsChapV2.GetAsymmetricStartKey(MasterKey, 16, true, true), MsChapV2.GetAsymmetricStartKey(MasterKey, 16, false, true));
    }

    [Fact]
    public void ServerReceiveKeyMatchesAnIndependentSha1()
    {
        // SHA1(MasterKey | 40 x 00 | Magic2 | 40 x F2), written out here rather than through MsChapV2.
        byte[] input = [.. MasterKey, .. new byte[40],
            .. "On the client side, this is the send key; on the server side, it is the receive key."u8, .. Enumerable.Repeat((byte)0xF2, 40)];
        Assert.Equal(SHA1.HashData(input)[..16], MsChapV2.GetAsymmetricStartKey(MasterKey, 16, isSend: false, isServer: true));
    }

    // ---- DES ---------------------------------------------------------------------------------------------------

    [Fact]
    public void ExpandDesKeySpreadsSevenBitsAndSetsOddParity()
    {
        Span<byte> key = stackalloc byte[8];
        MsChapV2.ExpandDesKey(Hex("00 00 00 00 00 00 00"), key);
        Assert.Equal(Hex("01 01 01 01 01 01 01 01"), key.ToArray());
        MsChapV2.ExpandDesKey(Hex("FF FF FF FF FF FF FF"), key);
        Assert.Equal(Hex("FE FE FE FE FE FE FE FE"), key.ToArray());
        MsChapV2.ExpandDesKey(Hex("80 00 00 00 00 00 01"), key);
        Assert.Equal(Hex("80 01 01 01 01 01 01 02"), key.ToArray());
    }

    [Fact]
    public void ManagedDesMatchesDotNetDesOnRandomKeys()
    {
        var random = new Random(5);
        Span<byte> key = stackalloc byte[8], block = stackalloc byte[8], ours = stackalloc byte[8], theirs = stackalloc byte[8];
        using var des = DES.Create();
        for (int i = 0; i < 200; i++)
        {
            random.NextBytes(key);
            random.NextBytes(block);
            if (DES.IsWeakKey(key.ToArray()) || DES.IsSemiWeakKey(key.ToArray())) continue;
            des.Key = key.ToArray();
            des.EncryptEcb(block, theirs, PaddingMode.None);
            DesBlock.EncryptManaged(key, block, ours);
            Assert.Equal(theirs.ToArray(), ours.ToArray());
        }
    }

    [Theory]
    // FIPS 81 / NBS SP 500-20 variable-plaintext known answers under the weak key 01...01, which .NET refuses.
    [InlineData("0101010101010101", "8000000000000000", "95F8A5E5DD31D900")]
    [InlineData("0101010101010101", "0000000000000001", "166B40B44ABA4BD6")]
    public void WeakKeysStillEncrypt(string key, string plaintext, string ciphertext)
    {
        Span<byte> output = stackalloc byte[8];
        DesBlock.Encrypt(Hex(key), Hex(plaintext), output);
        Assert.Equal(ciphertext, Convert.ToHexString(output));
    }

    [Fact]
    public void PasswordWhoseThirdDesKeyIsWeak()
    {
        // "weak43764": its NT hash ends in 00 00, so the third DES key is the weak key 01...01 (1 password in 65536).
        // The NT-Response was computed independently with OpenSSL's MD4 and DES-ECB.
        byte[] hash = MsChapV2.NtPasswordHash("weak43764");
        Assert.Equal([0, 0], hash[14..]);
        Assert.Equal(Hex("93D3381D836D37303EBE0E29FB54AE5E651B607991F4DB3F"), MsChapV2.GenerateNtResponse(AuthenticatorChallenge, PeerChallenge, UserName, "weak43764"));
    }
}
