using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;
using Portcullis.Core.Ipsec;

namespace Portcullis.Fuzz.Targets;

/// <summary>
/// <c>ah</c>: inbound AH (a whole IP packet, as the raw protocol-51 socket delivers it) against three inbound SAs with
/// fixed keys: HMAC-SHA2-256-128 in tunnel mode (SPI 0x20000001), AES-GMAC-128 with ESN in tunnel mode (SPI
/// 0x20000002), and HMAC-SHA1-96 in transport mode (SPI 0x20000003). Properties: a packet is delivered (Ok) only when
/// it is a genuine packet of the matching outbound SA up to the length its IP header states, but for the fields AH
/// leaves unauthenticated because routers change them (TOS, flags and offset, TTL, checksum; traffic class, flow label,
/// hop limit); never twice for one sequence number; the inner packet inside the buffer; every refusal counted.
/// </summary>
internal sealed class AhTarget : IFuzzTarget, ISeedAware
{
    public const uint Sha256Spi = 0x2000_0001, GmacSpi = 0x2000_0002, TransportSpi = 0x2000_0003;

    private readonly HashSet<string> _genuine = [];
    private readonly Dictionary<uint, AhSa> _sas = [];
    private readonly HashSet<(uint, uint)> _delivered = [];
    private int _inputs;

    public AhTarget()
    {
        foreach (byte[] p in GenuinePackets(6)) _genuine.Add(Hash(p));
    }

    public void AddSeed(byte[] seed) => _genuine.Add(Hash(seed));

    /// <summary>The hash of what AH authenticates of a packet: up to its stated length, the mutable header fields zeroed.</summary>
    private static string Hash(byte[] packet)
    {
        byte[] p = (byte[])packet.Clone();
        if (p.Length >= 40 && p[0] >> 4 == 6)
        {
            p = p[..Math.Min(p.Length, 40 + BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(4)))];
            p[0] &= 0xF0;
            p[1] = p[2] = p[3] = p[7] = 0;
        }
        else if (p.Length >= 20)
        {
            p = p[..Math.Min(p.Length, (int)BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2)))];
            if (p.Length >= 20) p[1] = p[6] = p[7] = p[8] = p[10] = p[11] = 0;
        }
        return Convert.ToHexString(SHA256.HashData(p));
    }

    private static (IntegrityTransform, byte[], bool Esn, bool Transport) Suite(uint spi)
    {
        IntegrityTransform integ = TransformRegistry.Get<IntegrityTransform>(spi switch { Sha256Spi => "sha256", GmacSpi => "aes128gmacauth", _ => "sha1" });
        byte[] key = [.. Enumerable.Range(0, integ.KeySize).Select(i => (byte)(i * 11 + (int)(spi & 0xFF)))];
        return (integ, key, spi == GmacSpi, spi == TransportSpi);
    }

    private static AhSa Inbound(uint spi)
    {
        (IntegrityTransform integ, byte[] key, bool esn, bool transport) = Suite(spi);
        var sa = AhSa.CreateInbound(spi, integ, key, 64, esn);
        sa.TransportMode = transport;
        sa.LocalSelectors = new SelectorSet([TrafficSelector.AnyV4, TrafficSelector.AnyV6]);
        sa.RemoteSelectors = new SelectorSet([TrafficSelector.AnyV4, TrafficSelector.AnyV6]);
        return sa;
    }

    /// <summary>Genuine packets of each SA, sequence numbers 1…count (the ESN SA's crossing 2^32), IPv4 and IPv6 outside: the seeds.</summary>
    public static IEnumerable<byte[]> GenuinePackets(int count)
    {
        byte[] v4Left = [192, 0, 2, 1], v4Right = [192, 0, 2, 2];
        byte[] v6Left = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], v6Right = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        foreach (uint spi in new[] { Sha256Spi, GmacSpi, TransportSpi })
        {
            (IntegrityTransform integ, byte[] key, bool esn, bool transport) = Suite(spi);
            using var sa = AhSa.CreateOutbound(spi, integ, key, esn);
            if (esn) sa.SetLastSequenceNumber(uint.MaxValue - 2);
            for (int i = 0; i < count; i++)
            {
                bool ipv6 = i % 2 == 1;
                byte[] output = new byte[2048];
                int written;
                EncapsulateResult result = transport
                    ? AhProcessor.EncapsulateTransport(sa, Ipv4Udp(28 + i * 29, v4Left, v4Right), output, out written)
                    : AhProcessor.EncapsulateTunnel(sa, Ipv4Udp(28 + i * 37, [198, 18, 1, 10], [198, 18, 2, 20]), ipv6 ? v6Left : v4Left, ipv6 ? v6Right : v4Right, output, out written);
                if (result != EncapsulateResult.Ok) throw new InvalidOperationException("AH encapsulation failed");
                yield return output[..written];
            }
        }
    }

    private static byte[] Ipv4Udp(int length, byte[] source, byte[] destination)
    {
        byte[] p = new byte[length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        p[8] = 64;
        p[9] = 17;
        source.CopyTo(p, 12);
        destination.CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(length - 20));
        return p;
    }

    public void Run(byte[] input, FuzzContext context)
    {
        Renew();
        // The SA by the SPI where AH starts behind an option-less IPv6 header or an IPv4 header, as the data plane finds it.
        int ahOffset = AhOffset(input);
        uint spi = input.Length >= ahOffset + 8 ? BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(ahOffset + 4)) : 0;
        AhSa sa = _sas.GetValueOrDefault(spi) ?? _sas[input.Length > 0 && input[0] % 3 == 0 ? GmacSpi : input.Length > 0 && input[0] % 3 == 1 ? TransportSpi : Sha256Spi];
        long replays = sa.ReplayDrops, auth = sa.AuthenticationFailures;
        byte[] packet = (byte[])input.Clone();
        DecapsulateResult result = AhProcessor.Decapsulate(sa, packet, out int offset, out int length, out byte nextHeader);
        context.Feature($"{sa.Spi:x}:{result}:{nextHeader}");
        if (result == DecapsulateResult.Ok)
        {
            FuzzContext.Check(offset >= 0 && length >= 0 && offset + length <= packet.Length, "the inner packet lies outside the buffer");
            FuzzContext.Check(_genuine.Contains(Hash(input)), "a packet that is not a genuine one was delivered (forged or altered AH accepted)");
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(ahOffset + 8));
            FuzzContext.Check(_delivered.Add((sa.Spi, seq)), $"sequence number {seq} was delivered twice (replay accepted)");
        }
        if (result == DecapsulateResult.Replayed) FuzzContext.Check(sa.ReplayDrops == replays + 1, "a replay was not counted");
        if (result == DecapsulateResult.AuthenticationFailed) FuzzContext.Check(sa.AuthenticationFailures == auth + 1, "an ICV failure was not counted");
    }

    private static int AhOffset(byte[] input) => input.Length == 0 ? 0 : input[0] >> 4 == 6 ? 40 : (input[0] & 0xF) * 4;

    /// <summary>Fresh SAs (and replay windows) every 256 inputs, so sequence numbers can be delivered again.</summary>
    private void Renew()
    {
        if (_sas.Count > 0 && ++_inputs % 256 != 0) return;
        foreach (AhSa sa in _sas.Values) sa.Dispose();
        _sas.Clear();
        foreach (uint spi in new[] { Sha256Spi, GmacSpi, TransportSpi }) _sas[spi] = Inbound(spi);
        _delivered.Clear();
    }
}
