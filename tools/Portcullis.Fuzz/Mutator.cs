using System.Buffers.Binary;

namespace Portcullis.Fuzz;

/// <summary>
/// Mutations of one input: bit flips, byte sets, interesting values, 16- and 32-bit length-field edits, inserts and
/// deletes, block copies, truncation and extension, splices with another corpus entry, and (for IKE-shaped inputs)
/// edits of the generic payload header chain (next payload, critical bit, payload length).
/// </summary>
public sealed class Mutator(Random rng)
{
    private static readonly byte[] s_interesting8 = [0, 1, 2, 3, 4, 7, 8, 0x0f, 0x10, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
        0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x35, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff];

    private static readonly ushort[] s_interesting16 = [0, 1, 4, 7, 8, 0x0010, 0x001c, 0x0020, 0x0040, 0x007f, 0x0080, 0x00ff, 0x0100, 0x03ff,
        0x0400, 0x05dc, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff];

    private const int MaxLength = 70_000;

    /// <summary>One to four stacked mutations of <paramref name="input"/>; <paramref name="other"/> is for splicing.</summary>
    public byte[] Mutate(byte[] input, byte[]? other)
    {
        var data = new List<byte>(input);
        int n = 1 + rng.Next(4);
        for (int i = 0; i < n; i++) MutateOnce(data, other);
        if (data.Count > MaxLength) data.RemoveRange(MaxLength, data.Count - MaxLength);
        return [.. data];
    }

    private void MutateOnce(List<byte> d, byte[]? other)
    {
        int kind = rng.Next(16);
        if (d.Count == 0 && kind is not (8 or 9 or 12)) kind = 8;
        switch (kind)
        {
            case 0: d[rng.Next(d.Count)] ^= (byte)(1 << rng.Next(8)); break;
            case 1: d[rng.Next(d.Count)] = (byte)rng.Next(256); break;
            case 2: d[rng.Next(d.Count)] = s_interesting8[rng.Next(s_interesting8.Length)]; break;
            case 3 when d.Count >= 2:
                {
                    int at = rng.Next(d.Count - 1);
                    ushort v = rng.Next(3) == 0 ? (ushort)(BinaryPrimitives.ReadUInt16BigEndian([d[at], d[at + 1]]) + rng.Next(-8, 9)) : s_interesting16[rng.Next(s_interesting16.Length)];
                    d[at] = (byte)(v >> 8);
                    d[at + 1] = (byte)v;
                    break;
                }
            case 4 when d.Count >= 4:
                {
                    int at = rng.Next(d.Count - 3);
                    uint v = rng.Next(4) switch { 0 => 0, 1 => 0xffffffff, 2 => 0x7fffffff, _ => (uint)d.Count + (uint)rng.Next(-4, 5) };
                    d[at] = (byte)(v >> 24); d[at + 1] = (byte)(v >> 16); d[at + 2] = (byte)(v >> 8); d[at + 3] = (byte)v;
                    break;
                }
            case 5: d.RemoveAt(rng.Next(d.Count)); break;
            case 6:
                {
                    int at = rng.Next(d.Count), len = Math.Min(d.Count - at, 1 + rng.Next(32));
                    d.RemoveRange(at, len);
                    break;
                }
            case 7: Truncate(d); break;
            case 8:
                {
                    int len = 1 + rng.Next(rng.Next(8) == 0 ? 2048 : 16);
                    var extra = new byte[len];
                    if (rng.Next(2) == 0) rng.NextBytes(extra);
                    else Array.Fill(extra, s_interesting8[rng.Next(s_interesting8.Length)]);
                    d.InsertRange(rng.Next(d.Count + 1), extra);
                    break;
                }
            case 9 when other is { Length: > 0 }: // splice
                {
                    int from = rng.Next(other.Length), len = Math.Min(other.Length - from, 1 + rng.Next(256));
                    int at = d.Count == 0 ? 0 : rng.Next(d.Count);
                    if (rng.Next(2) == 0) d.RemoveRange(at, d.Count - at);
                    d.InsertRange(at, other.AsSpan(from, len).ToArray());
                    break;
                }
            case 10: // copy a block within the input
                {
                    int from = rng.Next(d.Count), len = Math.Min(d.Count - from, 1 + rng.Next(64));
                    byte[] block = d.GetRange(from, len).ToArray();
                    d.InsertRange(rng.Next(d.Count + 1), block);
                    break;
                }
            case 11 or 12: PayloadChainEdit(d); break;
            case 13: // the IKE header's length field follows the real length, or lies
                if (d.Count >= 28)
                {
                    uint v = rng.Next(3) == 0 ? (uint)rng.Next(0, 100_000) : (uint)d.Count;
                    d[24] = (byte)(v >> 24); d[25] = (byte)(v >> 16); d[26] = (byte)(v >> 8); d[27] = (byte)v;
                }
                break;
            case 14: // repeat the input (oversized datagrams)
                if (d.Count > 0 && d.Count < 8000) d.AddRange(d.ToArray());
                break;
            default: Truncate(d); break;
        }
    }

    private void Truncate(List<byte> d)
    {
        if (d.Count == 0) return;
        int keep = rng.Next(d.Count);
        d.RemoveRange(keep, d.Count - keep);
    }

    /// <summary>
    /// Walks the generic payload headers (4 bytes: next payload, flags, length) from a guessed start (28 for an IKE
    /// message, 0 for a bare chain) and edits one of them.
    /// </summary>
    private void PayloadChainEdit(List<byte> d)
    {
        int start = d.Count >= 28 && rng.Next(4) != 0 ? 28 : rng.Next(3);
        var headers = new List<int>();
        for (int at = start; at + 4 <= d.Count && headers.Count < 32;)
        {
            headers.Add(at);
            int len = (d[at + 2] << 8) | d[at + 3];
            if (len < 4) break;
            at += len;
        }
        if (headers.Count == 0) { if (d.Count > 0) d[rng.Next(d.Count)] ^= 0x80; return; }
        int h = headers[rng.Next(headers.Count)];
        switch (rng.Next(5))
        {
            case 0: d[h] = (byte)(rng.Next(2) == 0 ? rng.Next(33, 56) : rng.Next(256)); break; // next payload type
            case 1: d[h + 1] ^= 0x80; break; // critical bit
            case 2:
                {
                    int len = (d[h + 2] << 8) | d[h + 3];
                    int v = rng.Next(4) switch { 0 => 0, 1 => 4, 2 => 0xffff, _ => len + rng.Next(-5, 6) };
                    d[h + 2] = (byte)(v >> 8); d[h + 3] = (byte)v;
                    break;
                }
            case 3: // drop a payload
                {
                    int len = Math.Max(4, (d[h + 2] << 8) | d[h + 3]);
                    d.RemoveRange(h, Math.Min(len, d.Count - h));
                    break;
                }
            default: // duplicate a payload
                {
                    int len = Math.Max(4, (d[h + 2] << 8) | d[h + 3]);
                    byte[] p = d.GetRange(h, Math.Min(len, d.Count - h)).ToArray();
                    d.InsertRange(h, p);
                    break;
                }
        }
    }
}
