using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The Data of an LCP Echo-Request, Echo-Reply or Discard-Request (RFC 1661 §5.8):
/// <code>
///  Magic-Number (4, zero when none was negotiated) | Data
/// </code>
/// </summary>
public readonly ref struct LcpEchoPacket
{
    /// <summary>Bytes of the Magic-Number.</summary>
    public const int MagicSize = 4;

    private LcpEchoPacket(uint magic, ReadOnlySpan<byte> data)
    {
        MagicNumber = magic;
        Data = data;
    }

    /// <summary>The sender's Magic-Number.</summary>
    public uint MagicNumber { get; }

    /// <summary>The uninterpreted data after it.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Splits the Data of an echo packet.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out LcpEchoPacket parsed, out ParseError error)
    {
        parsed = default;
        error = default;
        if (data.Length < MagicSize) { error = new("Magic-Number", $"echo packet of {data.Length} data bytes, need {MagicSize}"); return false; }
        parsed = new LcpEchoPacket(BinaryPrimitives.ReadUInt32BigEndian(data), data[MagicSize..]);
        return true;
    }

    /// <summary>The Data of an echo packet.</summary>
    public static byte[] Build(uint magic, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[MagicSize + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        data.CopyTo(bytes.AsSpan(MagicSize));
        return bytes;
    }
}
