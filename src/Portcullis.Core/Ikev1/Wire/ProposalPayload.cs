using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Proposal payload (RFC 2408 §3.5), inside an SA payload. Its transforms are alternatives; proposals sharing a
/// number form one bundle (AH and ESP together), proposals with different numbers are alternatives.
/// <code>
///  Next Payload (2 or 0) | RESERVED (1) | Payload Length (2) | Proposal # (1) | Protocol-Id (1) | SPI Size (1) | # of Transforms (1) | SPI | Transforms
/// </code>
/// </summary>
public sealed class ProposalPayload(byte number, IsakmpProtocolId protocol, byte[] spi, IReadOnlyList<TransformPayload> transforms)
{
    /// <summary>Proposal #.</summary>
    public byte Number { get; } = number;

    /// <summary>Protocol-Id: PROTO_ISAKMP in phase 1, PROTO_IPSEC_ESP (or AH) in Quick Mode.</summary>
    public IsakmpProtocolId Protocol { get; } = protocol;

    /// <summary>The sending entity's SPI (empty or the cookies in phase 1; the inbound ESP SPI in Quick Mode).</summary>
    public byte[] Spi { get; } = spi;

    /// <summary>The transforms, alternatives in order of preference.</summary>
    public IReadOnlyList<TransformPayload> Transforms { get; } = transforms;

    /// <summary>The SPI as a 32-bit ESP SPI (0 when it is not 4 bytes).</summary>
    public uint Spi32 => Spi.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(Spi) : 0;

    /// <summary>Bytes on the wire, generic header included.</summary>
    public int Length => 8 + Spi.Length + Transforms.Sum(t => t.Length);

    /// <summary>Writes the payload with its generic header; returns bytes written.</summary>
    public int Write(Span<byte> destination, bool last)
    {
        destination[0] = last ? (byte)0 : (byte)IsakmpPayloadType.Proposal;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        destination[4] = Number;
        destination[5] = (byte)Protocol;
        destination[6] = (byte)Spi.Length;
        destination[7] = (byte)Transforms.Count;
        Spi.CopyTo(destination[8..]);
        int offset = 8 + Spi.Length;
        for (int i = 0; i < Transforms.Count; i++) offset += Transforms[i].Write(destination[offset..], i + 1 == Transforms.Count);
        return offset;
    }

    /// <summary>Parses one proposal payload from the start of <paramref name="data"/>; <paramref name="length"/> is its size.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ProposalPayload? proposal, out bool last, out int length, out ParseError error)
    {
        proposal = null;
        last = false;
        length = 0;
        error = default;
        if (data.Length < 8) { error = new("Proposal payload", $"{data.Length} bytes left, need 8"); return false; }
        if (data[0] is not (0 or (byte)IsakmpPayloadType.Proposal)) { error = new("Next Payload", $"{data[0]} after a proposal, must be 0 or 2"); return false; }
        last = data[0] == 0;
        length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (length < 8 || length > data.Length) { error = new("Proposal Payload Length", $"{length} with {data.Length} bytes left"); return false; }
        ReadOnlySpan<byte> p = data[..length];
        int spiSize = p[6], count = p[7];
        if (8 + spiSize > length) { error = new("SPI Size", $"{spiSize} in a proposal of {length} bytes"); return false; }
        if (count == 0) { error = new("# of Transforms", $"proposal {p[4]} has no transform"); return false; }
        var transforms = new List<TransformPayload>(count);
        int offset = 8 + spiSize;
        for (int i = 0; i < count; i++)
        {
            if (!TransformPayload.TryParse(p[offset..], out TransformPayload? t, out bool lastTransform, out int tlen, out error)) return false;
            if (lastTransform != (i + 1 == count)) { error = new("# of Transforms", $"{count} in proposal {p[4]}, but the Next Payload chain of its transforms says otherwise"); return false; }
            transforms.Add(t!);
            offset += tlen;
        }
        if (offset != length) { error = new("Proposal Payload Length", $"{length - offset} bytes after the last transform of proposal {p[4]}"); return false; }
        proposal = new ProposalPayload(p[4], (IsakmpProtocolId)p[5], p.Slice(8, spiSize).ToArray(), transforms);
        return true;
    }
}
