using BenchmarkDotNet.Attributes;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Benchmarks;

/// <summary>Per-packet encrypt-then-MAC and verify-then-decrypt with AES-CBC and HMAC-SHA2 (the ESP order, RFC 4303 §3.3.2).</summary>
[MemoryDiagnoser]
public class CbcHmacBenchmarks
{
    [Params("aes128-sha256", "aes256-sha256", "aes256-sha512")]
    public string Proposal { get; set; } = "";

    [Params(64, 1400)]
    public int Size { get; set; }

    private ICipher _cipher = null!;
    private IIntegrity _mac = null!;
    private readonly byte[] _iv = new byte[16];
    private byte[] _packet = [];
    private byte[] _scratch = [];
    private byte[] _icv = [];

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Proposal.Split('-');
        var enc = TransformRegistry.Get<EncryptionTransform>(parts[0]);
        var integ = TransformRegistry.Get<IntegrityTransform>(parts[1]);
        _cipher = enc.CreateCipher(new byte[enc.KeyMaterialSize]);
        _mac = integ.Create(new byte[integ.KeySize]);
        // The payload padded to the block size, as ESP would (Size is a multiple of 16 here less 0..15 bytes).
        int padded = (Size + 15) / 16 * 16;
        _packet = new byte[padded];
        _scratch = new byte[padded];
        _icv = new byte[integ.IcvSize];
        Random.Shared.NextBytes(_packet);
        Seal();
    }

    [Benchmark]
    public void Seal()
    {
        _cipher.Encrypt(_iv, _packet, _scratch);
        _mac.Compute(_scratch, _icv);
    }

    [Benchmark]
    public bool Open()
    {
        if (!_mac.Verify(_scratch, _icv)) return false;
        _cipher.Decrypt(_iv, _scratch, _packet);
        return true;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cipher.Dispose();
        _mac.Dispose();
    }
}
