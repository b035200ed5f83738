using BenchmarkDotNet.Attributes;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;

namespace Portcullis.Benchmarks;

/// <summary>
/// Encapsulate + decapsulate of a 1400-byte inner packet through <see cref="EspProcessor"/>, against a baseline of
/// the bare transforms doing the same cryptographic work (AEAD seal + open, or encrypt + MAC + verify + decrypt) on
/// the same bytes, so the ESP layer's cost reads as a ratio.
/// </summary>
[MemoryDiagnoser]
public class EspBenchmarks
{
    [Params("aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128-sha1", "aes256-sha256")]
    public string Suite { get; set; } = "";

    private const int InnerSize = 1400;
    private EspSa _outbound = null!;
    private EspSa _inbound = null!;
    private IAead? _aead;
    private ICipher? _cipher;
    private IIntegrity? _mac;
    private readonly byte[] _inner = new byte[InnerSize];
    private readonly byte[] _wire = new byte[2048];
    private readonly byte[] _iv = new byte[16];
    private readonly byte[] _aad = new byte[8];
    private byte[] _scratch = [];
    private byte[] _icv = [];

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Suite.Split('-');
        var enc = TransformRegistry.Get<EncryptionTransform>(parts[0]);
        IntegrityTransform? integ = parts.Length > 1 ? TransformRegistry.Get<IntegrityTransform>(parts[1]) : null;
        byte[] ek = new byte[enc.KeyMaterialSize], ik = new byte[integ?.KeySize ?? 0];
        Random.Shared.NextBytes(ek);
        Random.Shared.NextBytes(ik);
        _outbound = EspSa.CreateOutbound(0x1000_0001, enc, integ, ek, ik);
        // Sequence numbers only grow, so the inbound window never sees a replay; a run sends far fewer than 2^32.
        _inbound = EspSa.CreateInbound(0x1000_0001, enc, integ, ek, ik);

        Random.Shared.NextBytes(_inner);
        _inner[0] = 0x45;

        // The baseline works on the padded payload ESP would carry.
        int padded = EspProcessor.GetEncapsulatedLength(_outbound, InnerSize) - 8 - _outbound.IvSize - _outbound.IcvSize;
        _scratch = new byte[padded];
        _icv = new byte[_outbound.IcvSize];
        if (enc.IsAead) _aead = enc.CreateAead(ek);
        else
        {
            _cipher = enc.CreateCipher(ek);
            _mac = integ!.Create(ik);
        }
    }

    [Benchmark]
    public int EncapsulateDecapsulate()
    {
        EspProcessor.Encapsulate(_outbound, _inner, _wire, out int written);
        EspProcessor.Decapsulate(_inbound, _wire.AsSpan(0, written), out _, out int length, out _);
        return length;
    }

    [Benchmark(Baseline = true)]
    public bool RawTransforms()
    {
        Span<byte> payload = _scratch;
        _inner.CopyTo(payload);
        if (_aead is not null)
        {
            _aead.Seal(_iv.AsSpan(0, 8), _aad, payload, payload, _icv);
            return _aead.Open(_iv.AsSpan(0, 8), _aad, payload, _icv, payload);
        }
        _cipher!.Encrypt(_iv.AsSpan(0, _cipher.IvSize), payload, payload);
        _mac!.Compute(payload, _icv);
        if (!_mac.Verify(payload, _icv)) return false;
        _cipher.Decrypt(_iv.AsSpan(0, _cipher.IvSize), payload, payload);
        return true;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _outbound.Dispose();
        _inbound.Dispose();
        _aead?.Dispose();
        _cipher?.Dispose();
        _mac?.Dispose();
    }
}
