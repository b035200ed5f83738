using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The Data of an LCP Protocol-Reject (RFC 1661 §5.7):
/// <code>
///  Rejected-Protocol (2) | Rejected-Information (the rejected frame's Information, truncated to the peer's MRU)
/// </code>
/// </summary>
public readonly ref struct LcpProtocolRejectPacket
{
    private LcpProtocolRejectPacket(ushort protocol, ReadOnlySpan<byte> information)
    {
        RejectedProtocol = protocol;
        RejectedInformation = information;
    }

    /// <summary>The Rejected-Protocol.</summary>
    public ushort RejectedProtocol { get; }

    /// <summary>The Rejected-Information.</summary>
    public ReadOnlySpan<byte> RejectedInformation { get; }

    /// <summary>Splits the Data of a Protocol-Reject.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out LcpProtocolRejectPacket parsed, out ParseError error)
    {
        parsed = default;
        error = default;
        if (data.Length < 2) { error = new("Rejected-Protocol", $"Protocol-Reject of {data.Length} data bytes, need 2"); return false; }
        parsed = new LcpProtocolRejectPacket(BinaryPrimitives.ReadUInt16BigEndian(data), data[2..]);
        return true;
    }

    /// <summary>The Data of a Protocol-Reject, its Rejected-Information cut to <paramref name="maxData"/> bytes of Data in all.</summary>
    public static byte[] Build(ushort protocol, ReadOnlySpan<byte> information, int maxData)
    {
        int take = Math.Max(0, Math.Min(information.Length, maxData - 2));
        var bytes = new byte[2 + take];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, protocol);
        information[..take].CopyTo(bytes.AsSpan(2));
        return bytes;
    }
}
