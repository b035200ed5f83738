using System.Security.Cryptography;

namespace Portcullis.Core.L2tp;

/// <summary>
/// Tunnel authentication (RFC 2661 §5.1.1), CHAP-like: the Challenge Response is MD5 over the Message Type of the
/// message that carries it (2 in an SCCRP, 3 in an SCCCN) as one byte, the shared secret and the Challenge.
/// </summary>
public static class TunnelAuthentication
{
    /// <summary>Bytes of a Challenge Response.</summary>
    public const int ResponseSize = 16;

    /// <summary>Bytes of the Challenge we send.</summary>
    public const int ChallengeSize = 16;

    /// <summary>The response the carrier of type <paramref name="messageType"/> gives to <paramref name="challenge"/>.</summary>
    public static byte[] Response(byte messageType, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> challenge)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData([messageType]);
        md5.AppendData(secret);
        md5.AppendData(challenge);
        return md5.GetHashAndReset();
    }

    /// <summary>Whether <paramref name="response"/> answers <paramref name="challenge"/> (compared in constant time).</summary>
    public static bool Verify(byte messageType, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> response) =>
        response.Length == ResponseSize && CryptographicOperations.FixedTimeEquals(Response(messageType, secret, challenge), response);
}
