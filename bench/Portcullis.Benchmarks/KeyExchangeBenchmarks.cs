using BenchmarkDotNet.Attributes;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Benchmarks;

/// <summary>
/// Key exchange operations. Derive is one shared-secret computation from the peer's value (what `openssl speed`
/// counts for ECDH, X25519 and FFDH); KeyPair is generating this side's value; for ML-KEM, Derive is
/// encapsulation (responder) and Complete is decapsulation (initiator).
/// </summary>
[MemoryDiagnoser]
public class KeyExchangeBenchmarks
{
    [Params("ecp256", "ecp384", "curve25519", "modp2048", "mlkem768")]
    public string Keyword { get; set; } = "";

    private KeyExchangeTransform _transform = null!;
    private IKeyExchange _initiator = null!;
    private byte[] _responderValue = [];

    [GlobalSetup]
    public void Setup()
    {
        _transform = TransformRegistry.Get<KeyExchangeTransform>(Keyword);
        _initiator = _transform.CreateInitiator();
        using IKeyExchange responder = _transform.CreateResponder();
        responder.Respond(_initiator.PublicValue, out SecretBuffer? secret);
        secret?.Dispose();
        _responderValue = responder.PublicValue.ToArray();
    }

    [Benchmark]
    public void KeyPair()
    {
        using IKeyExchange ke = _transform.CreateInitiator();
    }

    [Benchmark]
    public void Derive()
    {
        if (!_transform.IsKem)
        {
            // For Diffie-Hellman both sides do the same work: one exponentiation or scalar multiplication.
            _initiator.Complete(_responderValue, out SecretBuffer? shared);
            shared?.Dispose();
            return;
        }
        using IKeyExchange responder = _transform.CreateResponder();
        responder.Respond(_initiator.PublicValue, out SecretBuffer? secret);
        secret?.Dispose();
    }

    [Benchmark]
    public void Complete()
    {
        _initiator.Complete(_responderValue, out SecretBuffer? secret);
        secret?.Dispose();
    }

    [GlobalCleanup]
    public void Cleanup() => _initiator.Dispose();
}
