using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Benchmarks;

/// <summary>
/// One IKE SA + CHILD SA setup (IKE_SA_INIT and IKE_AUTH with a PSK) between two in-process engines
/// (<see cref="IkePair"/>: both sides' work), and the responder's parts of it on their own, in one run: parsing the
/// IKE_SA_INIT request, the key exchange (key pair + shared secret), SKEYSEED and the seven keys (PRF), and the two
/// PSK AUTH values the responder computes (the initiator's, to check it, and its own). What the whole setup costs
/// beyond twice the parts is message building, encryption, proposal and traffic selector matching, and logging.
/// </summary>
[MemoryDiagnoser]
public class IkeSetupBenchmarks
{
    [Params("ecp256", "modp2048")]
    public string Group { get; set; } = "";

    private byte[] _initRequest = [];
    private KeyExchangeTransform _group = null!;
    private byte[] _initiatorValue = [];
    private readonly PrfTransform _prf = TransformRegistry.Get<PrfTransform>("prfsha256");
    private readonly EncryptionTransform _encryption = TransformRegistry.Get<EncryptionTransform>("aes128gcm16");
    private readonly byte[] _nonceI = RandomNumberGenerator.GetBytes(32), _nonceR = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _psk = RandomNumberGenerator.GetBytes(32), _skP = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _idBody = [2, 0, 0, 0, .. "client1.example"u8];
    private byte[] _sharedSecret = [];

    [GlobalSetup]
    public void Setup()
    {
        var pair = new IkePair($"aes128gcm16-prfsha256-{Group}", 1);
        if (!pair.Initiator.Initiate(pair.Now, "c0", out string? error)) throw new InvalidOperationException(error);
        if (!pair.Initiator.TryDequeueTransmit(out IkeTransmit? request)) throw new InvalidOperationException("no IKE_SA_INIT");
        _initRequest = request!.Data;
        _group = TransformRegistry.Get<KeyExchangeTransform>(Group);
        using IKeyExchange initiator = _group.CreateInitiator();
        _initiatorValue = initiator.PublicValue.ToArray();
        _sharedSecret = RandomNumberGenerator.GetBytes(_group.ResponderValueSize);
    }

    [Benchmark(Description = "whole setup, both engines")]
    public void Setup_both_sides()
    {
        var pair = new IkePair($"aes128gcm16-prfsha256-{Group}", 1);
        pair.Establish(0);
        if (pair.ResponderChildren != 1) throw new InvalidOperationException("no CHILD SA");
    }

    [Benchmark(Description = "responder: parse IKE_SA_INIT")]
    public IkeMessage? Parse()
    {
        IkeHeader.TryParse(_initRequest, out IkeHeader header, out _);
        IkeMessage.TryDecode(_initRequest, header, null, out IkeMessage? message, out _, out _);
        return message;
    }

    [Benchmark(Description = "responder: key exchange")]
    public void KeyExchange()
    {
        using IKeyExchange responder = _group.CreateResponder();
        responder.Respond(_initiatorValue, out SecretBuffer? secret);
        secret!.Dispose();
    }

    [Benchmark(Description = "responder: SKEYSEED and keys")]
    public void KeyDerivation()
    {
        using SecretBuffer skeyseed = Ikev2KeyDerivation.SkeySeed(_prf, _nonceI, _nonceR, _sharedSecret);
        using IkeSaKeys keys = Ikev2KeyDerivation.IkeSaKeys(_prf, _encryption, null, skeyseed.ReadOnlySpan, _nonceI, _nonceR, 1, 2);
    }

    [Benchmark(Description = "responder: two PSK AUTH values")]
    public void PskAuth()
    {
        PskAuthentication.Compute(_prf, _psk, _initRequest, _nonceR, _skP, _idBody);
        PskAuthentication.Compute(_prf, _psk, _initRequest, _nonceI, _skP, _idBody);
    }
}
