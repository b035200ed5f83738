using BenchmarkDotNet.Attributes;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Benchmarks;

/// <summary>Per-packet seal and open of every AEAD, at a small and a full-size ESP payload.</summary>
[MemoryDiagnoser]
public class AeadBenchmarks
{
    [Params("aes128gcm16", "aes256gcm16", "aes128ccm16", "aes128gmac", "chacha20poly1305")]
    public string Keyword { get; set; } = "";

    [Params(64, 1400)]
    public int Size { get; set; }

    private IAead _aead = null!;
    private readonly byte[] _iv = new byte[8];
    private readonly byte[] _aad = new byte[8];
    private byte[] _plaintext = [];
    private byte[] _ciphertext = [];
    private byte[] _opened = [];
    private byte[] _icv = [];

    [GlobalSetup]
    public void Setup()
    {
        var t = TransformRegistry.Get<EncryptionTransform>(Keyword);
        _aead = t.CreateAead(Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), t.KeyMaterialSize));
        _plaintext = new byte[Size];
        Random.Shared.NextBytes(_plaintext);
        _ciphertext = new byte[Size];
        _opened = new byte[Size];
        _icv = new byte[t.IcvSize];
        _aead.Seal(_iv, _aad, _plaintext, _ciphertext, _icv);
    }

    [Benchmark]
    public void Seal() => _aead.Seal(_iv, _aad, _plaintext, _ciphertext, _icv);

    [Benchmark]
    public bool Open() => _aead.Open(_iv, _aad, _ciphertext, _icv, _opened);

    [GlobalCleanup]
    public void Cleanup() => _aead.Dispose();
}
