using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Esp;

/// <summary>Transform suites from the registry, SA pairs keyed alike, and inner packets to carry.</summary>
internal static class EspTestData
{
    public static IEnumerable<EncryptionTransform> EspAeads =>
        TransformRegistry.All.OfType<EncryptionTransform>().Where(t => t.ForEsp && t.IsAead);

    public static IEnumerable<EncryptionTransform> EspCiphers =>
        TransformRegistry.All.OfType<EncryptionTransform>().Where(t => t.ForEsp && !t.IsAead);

    public static IEnumerable<IntegrityTransform> EspIntegrity =>
        TransformRegistry.All.OfType<IntegrityTransform>().Where(t => t.ForEsp);

    /// <summary>Every ESP suite as "enc" or "enc-integ" keywords.</summary>
    public static IEnumerable<string> AllSuites =>
        EspAeads.Select(a => a.Keyword).Concat(EspCiphers.SelectMany(c => EspIntegrity.Select(i => $"{c.Keyword}-{i.Keyword}")));

    public static TheoryData<string> AllSuiteData => [.. AllSuites];

    public static byte[] Key(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();

    public static (EncryptionTransform Enc, IntegrityTransform? Integ) Parse(string suite)
    {
        string[] parts = suite.Split('-');
        return (TransformRegistry.Get<EncryptionTransform>(parts[0]), parts.Length > 1 ? TransformRegistry.Get<IntegrityTransform>(parts[1]) : null);
    }

    /// <summary>An outbound SA and the matching inbound SA (same keys and SPI), as the two ends of one direction.</summary>
    public static (EspSa Out, EspSa In) Pair(string suite, uint spi = 0x1234_5678, int window = 1024, bool esn = false)
    {
        (EncryptionTransform enc, IntegrityTransform? integ) = Parse(suite);
        byte[] ek = Key(enc.KeyMaterialSize, 1), ik = Key(integ?.KeySize ?? 0, 99);
        var outbound = EspSa.CreateOutbound(spi, enc, integ, ek, ik, esn);
        var inbound = EspSa.CreateInbound(spi, enc, integ, ek, ik, window, esn);
        inbound.LocalSelectors = new SelectorSet([TrafficSelector.AnyV4, TrafficSelector.AnyV6]);
        inbound.RemoteSelectors = new SelectorSet([TrafficSelector.AnyV4, TrafficSelector.AnyV6]);
        return (outbound, inbound);
    }

    /// <summary>An IPv4 UDP packet of <paramref name="length"/> bytes (at least 28).</summary>
    public static byte[] Ipv4Udp(int length, string source = "198.18.1.10", string destination = "198.18.2.20", ushort sourcePort = 40000, ushort destinationPort = 53)
    {
        byte[] p = new byte[Math.Max(length, 28)];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(p.Length - 20));
        for (int i = 28; i < p.Length; i++) p[i] = (byte)i;
        return p;
    }

    /// <summary>An IPv6 packet with the given next header and, for TCP/UDP, ports.</summary>
    public static byte[] Ipv6(int length, byte protocol = 6, string source = "2001:db8:1::10", string destination = "2001:db8:2::20", ushort sourcePort = 40000, ushort destinationPort = 443)
    {
        byte[] p = new byte[Math.Max(length, 48)];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
        p[6] = protocol;
        p[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(24), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(40), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(42), destinationPort);
        for (int i = 44; i < p.Length; i++) p[i] = (byte)(i * 3);
        return p;
    }

    public static byte[] Encapsulate(EspSa sa, byte[] inner)
    {
        byte[] output = new byte[EspProcessor.GetEncapsulatedLength(sa, inner.Length)];
        Assert.Equal(EncapsulateResult.Ok, EspProcessor.Encapsulate(sa, inner, output, out int written));
        Assert.Equal(output.Length, written);
        return output;
    }
}
