using Portcullis.Core.Crypto;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The Value of an MS-CHAPv2 Response (RFC 2759 §4), inside a CHAP Response with Value-Size 49:
/// <code>
///  Peer-Challenge (16) | Reserved (8, zero) | NT-Response (24) | Flags (1, zero)
/// </code>
/// </summary>
public readonly ref struct MsChapV2ResponseValue
{
    /// <summary>The Value-Size of an MS-CHAPv2 Response.</summary>
    public const int Size = 49;

    /// <summary>The Value-Size of an MS-CHAPv2 Challenge.</summary>
    public const int ChallengeSize = MsChapV2.ChallengeLength;

    private MsChapV2ResponseValue(ReadOnlySpan<byte> value)
    {
        PeerChallenge = value[..16];
        NtResponse = value.Slice(24, MsChapV2.NtResponseLength);
        Flags = value[48];
    }

    /// <summary>The Peer-Challenge.</summary>
    public ReadOnlySpan<byte> PeerChallenge { get; }

    /// <summary>The NT-Response.</summary>
    public ReadOnlySpan<byte> NtResponse { get; }

    /// <summary>The Flags (zero; RFC 2759 reserves them).</summary>
    public byte Flags { get; }

    /// <summary>Splits a Response's Value into its fields.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out MsChapV2ResponseValue parsed, out ParseError error)
    {
        parsed = default;
        error = default;
        if (value.Length != Size) { error = new("Value-Size", $"{value.Length} in an MS-CHAPv2 Response, must be {Size}"); return false; }
        parsed = new MsChapV2ResponseValue(value);
        return true;
    }

    /// <summary>Writes a Response's Value with Reserved and Flags zero.</summary>
    /// <exception cref="ArgumentException">A field has the wrong size.</exception>
    public static byte[] Build(ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> ntResponse)
    {
        if (peerChallenge.Length != MsChapV2.ChallengeLength) throw new ArgumentException("the Peer-Challenge is 16 bytes", nameof(peerChallenge));
        if (ntResponse.Length != MsChapV2.NtResponseLength) throw new ArgumentException("the NT-Response is 24 bytes", nameof(ntResponse));
        var value = new byte[Size];
        peerChallenge.CopyTo(value);
        ntResponse.CopyTo(value.AsSpan(24));
        return value;
    }
}
