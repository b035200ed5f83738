using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto.Hashes;

namespace Portcullis.Core.Crypto;

/// <summary>
/// The MS-CHAPv2 computations of RFC 2759 §8 and the MPPE key derivation of RFC 3079 §3, apart from any framing so
/// that EAP-MSCHAPv2 and PPP's MS-CHAPv2 share them. Passwords given as text are hashed as UTF-16LE (RFC 2759's
/// "Unicode"); every function also takes the 16-byte NT password hash instead, for secrets stored hashed.
/// User names are hashed as UTF-8 without any <c>DOMAIN\</c> prefix (RFC 2759 §8.2).
/// </summary>
public static class MsChapV2
{
    /// <summary>Bytes in the Authenticator Challenge and the Peer-Challenge.</summary>
    public const int ChallengeLength = 16;

    /// <summary>Bytes in the NT-Response.</summary>
    public const int NtResponseLength = 24;

    /// <summary>Bytes in the NT password hash, its hash and the MPPE master key.</summary>
    public const int HashLength = 16;

    /// <summary>Characters in an authenticator response: <c>S=</c> and 40 hexadecimal digits.</summary>
    public const int AuthenticatorResponseLength = 42;

    // RFC 2759 §8.7.
    private static ReadOnlySpan<byte> AuthMagic1 => "Magic server to client signing constant"u8;
    private static ReadOnlySpan<byte> AuthMagic2 => "Pad to make it do more than one iteration"u8;

    // RFC 3079 §3.4.
    private static ReadOnlySpan<byte> KeyMagic1 => "This is the MPPE Master Key"u8;
    private static ReadOnlySpan<byte> KeyMagic2 => "On the client side, this is the send key; on the server side, it is the receive key."u8;
    private static ReadOnlySpan<byte> KeyMagic3 => "On the client side, this is the receive key; on the server side, it is the send key."u8;

    /// <summary>The user name without a prepended <c>DOMAIN\</c> (RFC 2759 §8.2: only that part enters the challenge hash).</summary>
    public static string UserNameWithoutDomain(string userName)
    {
        int backslash = userName.IndexOf('\\', StringComparison.Ordinal);
        return backslash < 0 ? userName : userName[(backslash + 1)..];
    }

    /// <summary>NtPasswordHash (RFC 2759 §8.3): MD4 of the password in UTF-16LE.</summary>
    public static byte[] NtPasswordHash(string password)
    {
        byte[] unicode = GC.AllocateArray<byte>(Encoding.Unicode.GetByteCount(password), pinned: true);
        try
        {
            Encoding.Unicode.GetBytes(password, unicode);
            return NtPasswordHash(unicode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unicode);
        }
    }

    /// <summary>NtPasswordHash of a password already encoded as UTF-16LE.</summary>
    public static byte[] NtPasswordHash(ReadOnlySpan<byte> unicodePassword)
    {
        byte[] hash = GC.AllocateArray<byte>(HashLength, pinned: true);
        Md4.HashData(unicodePassword, hash);
        return hash;
    }

    /// <summary>HashNtPasswordHash (RFC 2759 §8.4): MD4 of the 16-byte password hash.</summary>
    public static byte[] HashNtPasswordHash(ReadOnlySpan<byte> passwordHash)
    {
        RequireLength(passwordHash, HashLength, nameof(passwordHash));
        byte[] hash = GC.AllocateArray<byte>(HashLength, pinned: true);
        Md4.HashData(passwordHash, hash);
        return hash;
    }

    /// <summary>ChallengeHash (RFC 2759 §8.2): the first 8 bytes of SHA-1(PeerChallenge | AuthenticatorChallenge | UserName).</summary>
    public static byte[] ChallengeHash(ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> authenticatorChallenge, string userName) =>
        ChallengeHash(peerChallenge, authenticatorChallenge, Encoding.UTF8.GetBytes(UserNameWithoutDomain(userName)));

    /// <summary>ChallengeHash over a user name already reduced to its bytes without the domain.</summary>
    public static byte[] ChallengeHash(ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> authenticatorChallenge, ReadOnlySpan<byte> userName)
    {
        RequireLength(peerChallenge, ChallengeLength, nameof(peerChallenge));
        RequireLength(authenticatorChallenge, ChallengeLength, nameof(authenticatorChallenge));
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(peerChallenge);
        sha1.AppendData(authenticatorChallenge);
        sha1.AppendData(userName);
        Span<byte> digest = stackalloc byte[20];
        sha1.GetHashAndReset(digest);
        return digest[..8].ToArray();
    }

    /// <summary>
    /// ChallengeResponse (RFC 2759 §8.5): the password hash, zero-padded to 21 bytes, as three DES keys each encrypting
    /// the 8-byte challenge hash.
    /// </summary>
    public static byte[] ChallengeResponse(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> passwordHash)
    {
        RequireLength(challenge, 8, nameof(challenge));
        RequireLength(passwordHash, HashLength, nameof(passwordHash));
        Span<byte> padded = stackalloc byte[21];
        Span<byte> key = stackalloc byte[8];
        padded.Clear();
        passwordHash.CopyTo(padded);
        var response = new byte[NtResponseLength];
        for (int i = 0; i < 3; i++)
        {
            ExpandDesKey(padded.Slice(7 * i, 7), key);
            DesBlock.Encrypt(key, challenge, response.AsSpan(8 * i, 8));
        }
        CryptographicOperations.ZeroMemory(padded);
        CryptographicOperations.ZeroMemory(key);
        return response;
    }

    /// <summary>
    /// RFC 2759 §8.6's DesEncrypt key: 7 bytes (56 bits) spread over 8, seven bits each, with the low bit of each byte
    /// set for odd parity as DES keys customarily carry (DES itself ignores it).
    /// </summary>
    public static void ExpandDesKey(ReadOnlySpan<byte> key7, Span<byte> key8)
    {
        RequireLength(key7, 7, nameof(key7));
        ulong bits = 0;
        foreach (byte b in key7) bits = (bits << 8) | b;
        for (int i = 0; i < 8; i++)
        {
            byte seven = (byte)((bits >> (49 - 7 * i)) & 0x7F);
            byte withRoom = (byte)(seven << 1);
            key8[i] = (byte)(withRoom | (int.IsEvenInteger(System.Numerics.BitOperations.PopCount(withRoom)) ? 1 : 0));
        }
    }

    /// <summary>GenerateNTResponse (RFC 2759 §8.1) from the password.</summary>
    public static byte[] GenerateNtResponse(ReadOnlySpan<byte> authenticatorChallenge, ReadOnlySpan<byte> peerChallenge, string userName, string password)
    {
        byte[] hash = NtPasswordHash(password);
        try { return GenerateNtResponse(authenticatorChallenge, peerChallenge, userName, hash); }
        finally { CryptographicOperations.ZeroMemory(hash); }
    }

    /// <summary>GenerateNTResponse from the NT password hash.</summary>
    public static byte[] GenerateNtResponse(ReadOnlySpan<byte> authenticatorChallenge, ReadOnlySpan<byte> peerChallenge, string userName,
        ReadOnlySpan<byte> passwordHash) =>
        GenerateNtResponse(authenticatorChallenge, peerChallenge, Encoding.UTF8.GetBytes(UserNameWithoutDomain(userName)), passwordHash);

    /// <summary>GenerateNTResponse from the NT password hash and the user name's bytes (without the domain).</summary>
    public static byte[] GenerateNtResponse(ReadOnlySpan<byte> authenticatorChallenge, ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> userName,
        ReadOnlySpan<byte> passwordHash)
    {
        byte[] challenge = ChallengeHash(peerChallenge, authenticatorChallenge, userName);
        return ChallengeResponse(challenge, passwordHash);
    }

    /// <summary>GenerateAuthenticatorResponse (RFC 2759 §8.7) from the password: <c>S=</c> and 40 uppercase hex digits.</summary>
    public static string GenerateAuthenticatorResponse(string password, ReadOnlySpan<byte> ntResponse, ReadOnlySpan<byte> peerChallenge,
        ReadOnlySpan<byte> authenticatorChallenge, string userName)
    {
        byte[] hash = NtPasswordHash(password);
        try { return GenerateAuthenticatorResponse(hash, ntResponse, peerChallenge, authenticatorChallenge, userName); }
        finally { CryptographicOperations.ZeroMemory(hash); }
    }

    /// <summary>GenerateAuthenticatorResponse from the NT password hash.</summary>
    public static string GenerateAuthenticatorResponse(ReadOnlySpan<byte> passwordHash, ReadOnlySpan<byte> ntResponse, ReadOnlySpan<byte> peerChallenge,
        ReadOnlySpan<byte> authenticatorChallenge, string userName) =>
        "S=" + Convert.ToHexString(AuthenticatorResponse(passwordHash, ntResponse, peerChallenge, authenticatorChallenge,
            Encoding.UTF8.GetBytes(UserNameWithoutDomain(userName))));

    /// <summary>
    /// The 20 bytes behind the authenticator response, from the NT password hash and the user name's bytes (without
    /// the domain): SHA-1(SHA-1(PasswordHashHash | NT-Response | Magic1) | ChallengeHash | Magic2).
    /// </summary>
    public static byte[] AuthenticatorResponse(ReadOnlySpan<byte> passwordHash, ReadOnlySpan<byte> ntResponse, ReadOnlySpan<byte> peerChallenge,
        ReadOnlySpan<byte> authenticatorChallenge, ReadOnlySpan<byte> userName)
    {
        RequireLength(ntResponse, NtResponseLength, nameof(ntResponse));
        byte[] hashHash = HashNtPasswordHash(passwordHash);
        Span<byte> digest = stackalloc byte[20];
        try
        {
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha1.AppendData(hashHash);
            sha1.AppendData(ntResponse);
            sha1.AppendData(AuthMagic1);
            sha1.GetHashAndReset(digest);
            sha1.AppendData(digest);
            sha1.AppendData(ChallengeHash(peerChallenge, authenticatorChallenge, userName));
            sha1.AppendData(AuthMagic2);
            return sha1.GetHashAndReset();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hashHash);
            CryptographicOperations.ZeroMemory(digest);
        }
    }

    /// <summary>
    /// CheckAuthenticatorResponse (RFC 2759 §8.8) from the password: whether <paramref name="receivedResponse"/> is
    /// <c>S=</c> and the expected 40 hex digits (either case), compared in constant time.
    /// </summary>
    public static bool CheckAuthenticatorResponse(string password, ReadOnlySpan<byte> ntResponse, ReadOnlySpan<byte> peerChallenge,
        ReadOnlySpan<byte> authenticatorChallenge, string userName, string receivedResponse)
    {
        byte[] hash = NtPasswordHash(password);
        try { return CheckAuthenticatorResponse(hash, ntResponse, peerChallenge, authenticatorChallenge, userName, receivedResponse); }
        finally { CryptographicOperations.ZeroMemory(hash); }
    }

    /// <summary>CheckAuthenticatorResponse from the NT password hash.</summary>
    public static bool CheckAuthenticatorResponse(ReadOnlySpan<byte> passwordHash, ReadOnlySpan<byte> ntResponse, ReadOnlySpan<byte> peerChallenge,
        ReadOnlySpan<byte> authenticatorChallenge, string userName, string receivedResponse)
    {
        if (!TryDecodeAuthenticatorResponse(receivedResponse, out byte[] received)) return false;
        byte[] expected = AuthenticatorResponse(passwordHash, ntResponse, peerChallenge, authenticatorChallenge,
            Encoding.UTF8.GetBytes(UserNameWithoutDomain(userName)));
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }

    /// <summary>The 20 bytes of an <c>S=</c> authenticator response; false when it is not <c>S=</c> and 40 hex digits.</summary>
    public static bool TryDecodeAuthenticatorResponse(string text, out byte[] response)
    {
        response = [];
        if (text.Length != AuthenticatorResponseLength || !text.StartsWith("S=", StringComparison.Ordinal)) return false;
        foreach (char ch in text.AsSpan(2))
            if (!char.IsAsciiHexDigit(ch)) return false;
        response = Convert.FromHexString(text.AsSpan(2));
        return true;
    }

    /// <summary>GetMasterKey (RFC 3079 §3.4): the first 16 bytes of SHA-1(PasswordHashHash | NT-Response | Magic1).</summary>
    public static byte[] GetMasterKey(ReadOnlySpan<byte> passwordHashHash, ReadOnlySpan<byte> ntResponse)
    {
        RequireLength(passwordHashHash, HashLength, nameof(passwordHashHash));
        RequireLength(ntResponse, NtResponseLength, nameof(ntResponse));
        Span<byte> digest = stackalloc byte[20];
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(passwordHashHash);
        sha1.AppendData(ntResponse);
        sha1.AppendData(KeyMagic1);
        sha1.GetHashAndReset(digest);
        byte[] masterKey = GC.AllocateArray<byte>(HashLength, pinned: true);
        digest[..HashLength].CopyTo(masterKey);
        CryptographicOperations.ZeroMemory(digest);
        return masterKey;
    }

    /// <summary>
    /// GetAsymmetricStartKey (RFC 3079 §3.4): the first <paramref name="keyLength"/> bytes (8 or 16) of
    /// SHA-1(MasterKey | 40 zero bytes | Magic | 40 bytes of 0xF2), where Magic is Magic3 for the server's send key and
    /// the client's receive key, Magic2 for the other two.
    /// </summary>
    public static byte[] GetAsymmetricStartKey(ReadOnlySpan<byte> masterKey, int keyLength, bool isSend, bool isServer)
    {
        RequireLength(masterKey, HashLength, nameof(masterKey));
        if (keyLength is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(keyLength), keyLength, "MPPE start keys are 8 or 16 bytes");
        Span<byte> pad = stackalloc byte[40];
        Span<byte> digest = stackalloc byte[20];
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(masterKey);
        pad.Fill(0x00);
        sha1.AppendData(pad);
        sha1.AppendData(isSend == isServer ? KeyMagic3 : KeyMagic2);
        pad.Fill(0xF2);
        sha1.AppendData(pad);
        sha1.GetHashAndReset(digest);
        byte[] key = GC.AllocateArray<byte>(keyLength, pinned: true);
        digest[..keyLength].CopyTo(key);
        CryptographicOperations.ZeroMemory(digest);
        return key;
    }

    private static void RequireLength(ReadOnlySpan<byte> value, int length, string name)
    {
        if (value.Length != length) throw new ArgumentException($"{name} must be {length} bytes, not {value.Length}", name);
    }
}
