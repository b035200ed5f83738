namespace Portcullis.Core.Crypto.Registry;

/// <summary>A KE transform: a Diffie-Hellman group or a KEM.</summary>
public sealed class KeyExchangeTransform : Transform
{
    private readonly Func<IKeyExchange> _initiator;
    private readonly Func<IKeyExchange> _responder;

    internal KeyExchangeTransform(ushort id, string keyword, string name, string reference, bool legacy, int initiatorValueSize, int responderValueSize,
        bool isKem, Func<IKeyExchange> initiator, Func<IKeyExchange>? responder = null)
        : base(TransformType.KeyExchange, id, 0, keyword, name, reference, legacy)
    {
        InitiatorValueSize = initiatorValueSize;
        ResponderValueSize = responderValueSize;
        IsKem = isKem;
        _initiator = initiator;
        _responder = responder ?? initiator;
    }

    /// <summary>Length of the initiator's KE data (public value, or encapsulation key).</summary>
    public int InitiatorValueSize { get; }

    /// <summary>Length of the responder's KE data (public value, or ciphertext).</summary>
    public int ResponderValueSize { get; }

    /// <summary>A KEM (ML-KEM): usable only as an additional key exchange (RFC 9370), not in IKEv1.</summary>
    public bool IsKem { get; }

    /// <inheritdoc />
    public override string Kind => IsKem ? "kem" : "key-exchange";

    /// <summary>A fresh exchange for the side that sends first.</summary>
    public IKeyExchange CreateInitiator() => _initiator();

    /// <summary>A fresh exchange for the side that answers.</summary>
    public IKeyExchange CreateResponder() => _responder();
}
