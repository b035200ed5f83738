using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Traffic Selector payload, TSi or TSr (RFC 7296 §3.13):
/// <code>
///  Number of TSs (1) | RESERVED (3) | Traffic Selectors
///  each: TS Type (1) | IP Protocol ID (1) | Selector Length (2) | Start Port (2) | End Port (2) | Starting Address | Ending Address
/// </code>
/// </summary>
public sealed class TsPayload(PayloadType type, IReadOnlyList<TrafficSelector> selectors) : Payload
{
    /// <inheritdoc />
    public override PayloadType Type { get; } = type;

    /// <summary>The selectors.</summary>
    public IReadOnlyList<TrafficSelector> Selectors { get; } = selectors;

    /// <inheritdoc />
    public override int BodyLength
    {
        get
        {
            int n = 4;
            foreach (TrafficSelector ts in Selectors) n += 8 + 2 * (ts.TsType == 7 ? 4 : 16);
            return n;
        }
    }

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Selectors.Count;
        destination[1] = destination[2] = destination[3] = 0;
        int offset = 4;
        foreach (TrafficSelector ts in Selectors)
        {
            int addr = ts.TsType == 7 ? 4 : 16;
            Span<byte> s = destination[offset..];
            s[0] = ts.TsType;
            s[1] = ts.Protocol;
            BinaryPrimitives.WriteUInt16BigEndian(s[2..], (ushort)(8 + 2 * addr));
            BinaryPrimitives.WriteUInt16BigEndian(s[4..], ts.StartPort);
            BinaryPrimitives.WriteUInt16BigEndian(s[6..], ts.EndPort);
            ts.StartAddress.TryWriteBytes(s[8..], out _);
            ts.EndAddress.TryWriteBytes(s[(8 + addr)..], out _);
            offset += 8 + 2 * addr;
        }
    }

    /// <summary>Parses the body. Unknown TS types are refused (RFC 7296 leaves no way to skip them safely).</summary>
    public static bool TryParse(PayloadType type, ReadOnlySpan<byte> body, out TsPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("Number of TSs", $"TS body of {body.Length} bytes"); return false; }
        int count = body[0];
        if (count == 0) { error = new("Number of TSs", "zero"); return false; }
        var list = new List<TrafficSelector>(count);
        int offset = 4;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> s = body[offset..];
            if (s.Length < 8) { error = new("Selector Length", $"traffic selector {i + 1} truncated"); return false; }
            byte tsType = s[0];
            int length = BinaryPrimitives.ReadUInt16BigEndian(s[2..]);
            int addr = tsType switch { 7 => 4, 8 => 16, _ => 0 };
            if (addr == 0) { error = new("TS Type", $"{tsType} is not TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE"); return false; }
            if (length != 8 + 2 * addr || length > s.Length) { error = new("Selector Length", $"{length} for TS type {tsType} with {s.Length} bytes left"); return false; }
            ushort startPort = BinaryPrimitives.ReadUInt16BigEndian(s[4..]), endPort = BinaryPrimitives.ReadUInt16BigEndian(s[6..]);
            var start = new IPAddress(s.Slice(8, addr));
            var end = new IPAddress(s.Slice(8 + addr, addr));
            if (TrafficSelector.Compare(start, end) > 0) { error = new("Ending Address", "is below the Starting Address"); return false; }
            list.Add(new TrafficSelector(start, end, s[1], startPort, endPort));
            offset += length;
        }
        if (offset != body.Length) { error = new("Number of TSs", $"{body.Length - offset} bytes after the last selector"); return false; }
        payload = new TsPayload(type, list);
        return true;
    }
}
