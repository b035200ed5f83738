using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;
using Portcullis.Core.Ipsec;

namespace Portcullis.Fuzz.Targets;

/// <summary>A target that is told its seed inputs before fuzzing starts (the ESP target's genuine packets).</summary>
public interface ISeedAware
{
    /// <summary>One input from the corpus, before any mutation.</summary>
    void AddSeed(byte[] seed);
}

/// <summary>
/// <c>esp</c>: inbound ESP (what arrives in IP protocol 50 or behind UDP 4500's non-ESP-marker check) against two
/// inbound SAs with fixed keys, AES-GCM-128 (SPI 0x10000001) and AES-CBC-256 + HMAC-SHA2-256 (SPI 0x10000002).
/// Properties: a packet is delivered (Ok) only when it is byte for byte a genuine packet from the matching outbound SA
/// (a seed, or one this target sealed itself), and never twice for one sequence number; every refusal is counted on
/// the SA (replays and ICV failures in their own counters).
/// </summary>
internal sealed class EspTarget : IFuzzTarget, ISeedAware
{
    public const uint GcmSpi = 0x1000_0001, CbcSpi = 0x1000_0002;

    private readonly HashSet<string> _genuine = [];
    private EspSa? _gcm, _cbc;
    private SecurityAssociationDatabase? _sad;
    private readonly HashSet<(uint, uint)> _delivered = [];
    private int _inputs;

    public EspTarget()
    {
        foreach (byte[] p in GenuinePackets(8)) _genuine.Add(Hash(p));
    }

    public void AddSeed(byte[] seed) => _genuine.Add(Hash(seed));

    private static string Hash(ReadOnlySpan<byte> b) => Convert.ToHexString(SHA256.HashData(b));

    private static (EncryptionTransform, IntegrityTransform?, byte[], byte[]) Suite(bool gcm)
    {
        EncryptionTransform enc = TransformRegistry.Get<EncryptionTransform>(gcm ? "aes128gcm16" : "aes256");
        IntegrityTransform? integ = gcm ? null : TransformRegistry.Get<IntegrityTransform>("sha256");
        byte[] ek = [.. Enumerable.Range(0, enc.KeyMaterialSize).Select(i => (byte)(i * 7 + 1))];
        byte[] ik = [.. Enumerable.Range(0, integ?.KeySize ?? 0).Select(i => (byte)(i * 5 + 99))];
        return (enc, integ, ek, ik);
    }

    public static EspSa Inbound(bool gcm)
    {
        (EncryptionTransform enc, IntegrityTransform? integ, byte[] ek, byte[] ik) = Suite(gcm);
        var sa = EspSa.CreateInbound(gcm ? GcmSpi : CbcSpi, enc, integ, ek, ik, 64);
        sa.LocalSelectors = new SelectorSet([TrafficSelector.AnyV4, TrafficSelector.AnyV6]);
        sa.RemoteSelectors = new SelectorSet([TrafficSelector.AnyV4, TrafficSelector.AnyV6]);
        return sa;
    }

    /// <summary>Genuine packets of both SAs, sequence numbers 1…count: the seeds.</summary>
    public static IEnumerable<byte[]> GenuinePackets(int count)
    {
        foreach (bool gcm in new[] { true, false })
        {
            (EncryptionTransform enc, IntegrityTransform? integ, byte[] ek, byte[] ik) = Suite(gcm);
            using var sa = EspSa.CreateOutbound(gcm ? GcmSpi : CbcSpi, enc, integ, ek, ik);
            for (int i = 0; i < count; i++)
            {
                byte[] inner = Ipv4Udp(28 + i * 37);
                byte[] output = new byte[EspProcessor.GetEncapsulatedLength(sa, inner.Length)];
                if (EspProcessor.Encapsulate(sa, inner, output, out int written) != EncapsulateResult.Ok) throw new InvalidOperationException("seal failed");
                yield return output[..written];
            }
        }
    }

    private static byte[] Ipv4Udp(int length)
    {
        byte[] p = new byte[length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        p[8] = 64;
        p[9] = 17;
        byte[] src = [198, 18, 1, 10], dst = [198, 18, 2, 20];
        src.CopyTo(p, 12);
        dst.CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(length - 20));
        return p;
    }

    public void Run(byte[] input, FuzzContext context)
    {
        Renew();
        uint spi = input.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(input) : 0;
        Decapsulate(spi == CbcSpi ? _cbc! : _gcm!, input, context);
    }

    /// <summary>Fresh SAs (and replay windows) every 256 inputs, so sequence numbers can be delivered again.</summary>
    internal void Renew()
    {
        if (_gcm is not null && ++_inputs % 256 != 0) return;
        _gcm?.Dispose();
        _cbc?.Dispose();
        _gcm = Inbound(gcm: true);
        _cbc = Inbound(gcm: false);
        _sad = new SecurityAssociationDatabase();
        _sad.TryAdd(_gcm);
        _sad.TryAdd(_cbc);
        _delivered.Clear();
    }

    /// <summary>The inbound SA for a packet as the data plane finds it (by SPI), or null (an unknown SPI, counted).</summary>
    internal EspSa? Lookup(ReadOnlySpan<byte> esp) => _sad!.Lookup(esp);

    /// <summary>One packet through <see cref="EspProcessor.Decapsulate"/> on <paramref name="sa"/>, with the target's properties.</summary>
    internal void Decapsulate(EspSa sa, byte[] input, FuzzContext context)
    {
        long replays = sa.ReplayDrops, auth = sa.AuthenticationFailures;
        byte[] packet = (byte[])input.Clone();
        DecapsulateResult result = EspProcessor.Decapsulate(sa, packet, out int offset, out int length, out byte nextHeader);
        context.Feature($"{(sa == _gcm ? "gcm" : "cbc")}:{result}:{nextHeader}");
        if (result == DecapsulateResult.Ok)
        {
            FuzzContext.Check(offset >= 0 && length >= 0 && offset + length <= packet.Length, "the inner packet lies outside the buffer");
            FuzzContext.Check(_genuine.Contains(Hash(input)), "a packet that is not a genuine one was delivered (forged or bit-flipped ESP accepted)");
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(4));
            FuzzContext.Check(_delivered.Add((sa.Spi, seq)), $"sequence number {seq} was delivered twice (replay accepted)");
        }
        if (result == DecapsulateResult.Replayed) FuzzContext.Check(sa.ReplayDrops == replays + 1, "a replay was not counted");
        if (result == DecapsulateResult.AuthenticationFailed) FuzzContext.Check(sa.AuthenticationFailures == auth + 1, "an ICV failure was not counted");
    }
}
