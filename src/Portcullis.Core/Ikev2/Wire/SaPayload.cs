using System.Buffers.Binary;
using Portcullis.Core.Crypto;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>One transform substructure (RFC 7296 §3.3.2), with its Key Length attribute (0 when absent).</summary>
public readonly record struct WireTransform(TransformType Type, ushort Id, int KeyBits = 0)
{
    /// <summary>Bytes on the wire.</summary>
    public int Length => KeyBits != 0 ? 12 : 8;
}

/// <summary>One proposal substructure (RFC 7296 §3.3.1).</summary>
public sealed record WireProposal(byte Number, ProtocolId Protocol, byte[] Spi, IReadOnlyList<WireTransform> Transforms)
{
    /// <summary>Bytes on the wire.</summary>
    public int Length
    {
        get
        {
            int n = 8 + Spi.Length;
            foreach (WireTransform t in Transforms) n += t.Length;
            return n;
        }
    }

    /// <summary>The SPI as a 32-bit ESP/AH SPI (0 when it is not 4 bytes).</summary>
    public uint Spi32 => Spi.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(Spi) : 0;
}

/// <summary>
/// Security Association payload (RFC 7296 §3.3): proposals, each with its transforms.
/// <code>
///  Proposal: Last Substruc (1) | RESERVED (1) | Proposal Length (2) | Proposal Num (1) | Protocol ID (1) | SPI Size (1) | Num Transforms (1) | SPI | Transforms
///  Transform: Last Substruc (1) | RESERVED (1) | Transform Length (2) | Transform Type (1) | RESERVED (1) | Transform ID (2) | Attributes
///  Attribute (TV): 1 + Attribute Type 14 (Key Length) (15 bits) | value (2)
/// </code>
/// </summary>
public sealed class SaPayload(IReadOnlyList<WireProposal> proposals) : Payload
{
    private const ushort KeyLengthAttribute = 14;

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.SecurityAssociation;

    /// <summary>The proposals, numbered from 1.</summary>
    public IReadOnlyList<WireProposal> Proposals { get; } = proposals;

    /// <inheritdoc />
    public override int BodyLength
    {
        get
        {
            int n = 0;
            foreach (WireProposal p in Proposals) n += p.Length;
            return n;
        }
    }

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        int offset = 0;
        for (int i = 0; i < Proposals.Count; i++)
        {
            WireProposal p = Proposals[i];
            Span<byte> d = destination[offset..];
            d[0] = i + 1 < Proposals.Count ? (byte)2 : (byte)0;
            d[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)p.Length);
            d[4] = p.Number;
            d[5] = (byte)p.Protocol;
            d[6] = (byte)p.Spi.Length;
            d[7] = (byte)p.Transforms.Count;
            p.Spi.CopyTo(d[8..]);
            int t = 8 + p.Spi.Length;
            for (int j = 0; j < p.Transforms.Count; j++)
            {
                WireTransform tr = p.Transforms[j];
                Span<byte> td = d[t..];
                td[0] = j + 1 < p.Transforms.Count ? (byte)3 : (byte)0;
                td[1] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(td[2..], (ushort)tr.Length);
                td[4] = (byte)tr.Type;
                td[5] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(td[6..], tr.Id);
                if (tr.KeyBits != 0)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(td[8..], 0x8000 | KeyLengthAttribute);
                    BinaryPrimitives.WriteUInt16BigEndian(td[10..], (ushort)tr.KeyBits);
                }
                t += tr.Length;
            }
            offset += p.Length;
        }
    }

    /// <summary>
    /// Parses the body. Transforms with attributes other than Key Length are kept with KeyBits = -1 so that no
    /// registry entry matches them (RFC 7296 §3.3.6: an unknown attribute makes the transform unacceptable).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out SaPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        var proposals = new List<WireProposal>();
        int offset = 0;
        bool last = false;
        while (!last)
        {
            ReadOnlySpan<byte> p = body[offset..];
            if (p.Length < 8) { error = new("Proposal Length", $"proposal {proposals.Count + 1} truncated ({p.Length} bytes)"); return false; }
            if (p[0] is not (0 or 2)) { error = new("Last Substruc", $"{p[0]} in a proposal, must be 0 or 2"); return false; }
            last = p[0] == 0;
            int length = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
            if (length < 8 || length > p.Length) { error = new("Proposal Length", $"{length} with {p.Length} bytes left"); return false; }
            p = p[..length];
            byte number = p[4];
            var protocol = (ProtocolId)p[5];
            int spiSize = p[6], count = p[7];
            if (8 + spiSize > length) { error = new("SPI Size", $"{spiSize} in a proposal of {length} bytes"); return false; }
            byte[] spi = p.Slice(8, spiSize).ToArray();
            var transforms = new List<WireTransform>(count);
            int t = 8 + spiSize;
            for (int j = 0; j < count; j++)
            {
                ReadOnlySpan<byte> tr = p[t..];
                if (tr.Length < 8) { error = new("Transform Length", $"transform {j + 1} of proposal {number} truncated"); return false; }
                if (tr[0] != (j + 1 < count ? 3 : 0)) { error = new("Last Substruc", $"{tr[0]} in transform {j + 1} of {count}"); return false; }
                int tlen = BinaryPrimitives.ReadUInt16BigEndian(tr[2..]);
                if (tlen < 8 || tlen > tr.Length) { error = new("Transform Length", $"{tlen} with {tr.Length} bytes left"); return false; }
                int keyBits = 0;
                ReadOnlySpan<byte> attrs = tr[8..tlen];
                while (attrs.Length > 0)
                {
                    if (attrs.Length < 4) { error = new("Transform Attributes", "truncated attribute"); return false; }
                    ushort at = BinaryPrimitives.ReadUInt16BigEndian(attrs);
                    if ((at & 0x8000) != 0)
                    {
                        if ((at & 0x7FFF) == KeyLengthAttribute && keyBits == 0) keyBits = BinaryPrimitives.ReadUInt16BigEndian(attrs[2..]);
                        else keyBits = -1;
                        attrs = attrs[4..];
                    }
                    else
                    {
                        int alen = BinaryPrimitives.ReadUInt16BigEndian(attrs[2..]);
                        if (4 + alen > attrs.Length) { error = new("Attribute Length", $"{alen} with {attrs.Length - 4} bytes left"); return false; }
                        keyBits = -1;
                        attrs = attrs[(4 + alen)..];
                    }
                }
                transforms.Add(new WireTransform((TransformType)tr[4], BinaryPrimitives.ReadUInt16BigEndian(tr[6..]), keyBits));
                t += tlen;
            }
            if (t != length) { error = new("Proposal Length", $"{length - t} bytes after the last transform of proposal {number}"); return false; }
            proposals.Add(new WireProposal(number, protocol, spi, transforms));
            offset += length;
        }
        if (offset != body.Length) { error = new("Last Substruc", $"{body.Length - offset} bytes after the last proposal"); return false; }
        payload = new SaPayload(proposals);
        return true;
    }
}
