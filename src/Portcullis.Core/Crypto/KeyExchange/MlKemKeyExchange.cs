using Portcullis.Core.Crypto.MlKem;

namespace Portcullis.Core.Crypto.KeyExchange;

/// <summary>
/// ML-KEM as an IKEv2 key exchange (RFC 9370 additional key exchange; draft-ietf-ipsecme-ikev2-mlkem): the
/// initiator sends its encapsulation key, the responder answers with a ciphertext, and both hold the 32-byte
/// shared secret. The decapsulation key lives in a <see cref="SecretBuffer"/>.
/// </summary>
internal sealed class MlKemKeyExchange : IKeyExchange
{
    private readonly MlKemParameterSet _parameters;
    private readonly SecretBuffer? _decapsulationKey;
    private byte[] _publicValue;

    private MlKemKeyExchange(MlKemParameterSet parameters, bool initiator)
    {
        _parameters = parameters;
        if (initiator)
        {
            _decapsulationKey = new SecretBuffer(parameters.DecapsulationKeySize);
            _publicValue = new byte[parameters.EncapsulationKeySize];
            MlKem.MlKem.GenerateKeyPair(parameters, _publicValue, _decapsulationKey.Span);
        }
        else
        {
            _publicValue = [];
        }
    }

    public static MlKemKeyExchange CreateInitiator(MlKemParameterSet parameters) => new(parameters, initiator: true);

    public static MlKemKeyExchange CreateResponder(MlKemParameterSet parameters) => new(parameters, initiator: false);

    public ReadOnlySpan<byte> PublicValue => _publicValue;

    public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret)
    {
        if (_decapsulationKey is not null) throw new InvalidOperationException("an ML-KEM initiator cannot respond");
        sharedSecret = null;
        if (initiatorValue.Length != _parameters.EncapsulationKeySize) return KeyExchangeError.InvalidLength;
        var ciphertext = new byte[_parameters.CiphertextSize];
        var secret = new SecretBuffer(MlKemParameterSet.SharedSecretSize);
        if (!MlKem.MlKem.Encapsulate(_parameters, initiatorValue, ciphertext, secret.Span))
        {
            secret.Dispose();
            return KeyExchangeError.InvalidPublicValue;
        }
        _publicValue = ciphertext;
        sharedSecret = secret;
        return KeyExchangeError.None;
    }

    public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret)
    {
        if (_decapsulationKey is null) throw new InvalidOperationException("an ML-KEM responder has nothing to complete");
        sharedSecret = null;
        if (responderValue.Length != _parameters.CiphertextSize) return KeyExchangeError.InvalidLength;
        var secret = new SecretBuffer(MlKemParameterSet.SharedSecretSize);
        if (!MlKem.MlKem.Decapsulate(_parameters, _decapsulationKey.ReadOnlySpan, responderValue, secret.Span))
        {
            secret.Dispose();
            return KeyExchangeError.InvalidPublicValue;
        }
        sharedSecret = secret;
        return KeyExchangeError.None;
    }

    public void Dispose() => _decapsulationKey?.Dispose();
}
