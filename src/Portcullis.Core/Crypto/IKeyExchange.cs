namespace Portcullis.Core.Crypto;

/// <summary>Why a peer's key exchange data was refused. The IKE layer turns these into notifies and log lines.</summary>
public enum KeyExchangeError
{
    /// <summary>Accepted.</summary>
    None,
    /// <summary>The KE data has the wrong length for the method.</summary>
    InvalidLength,
    /// <summary>The value is not a valid public value: out of range (MODP), not on the curve (ECP), or fails the ML-KEM modulus check.</summary>
    InvalidPublicValue,
    /// <summary>The shared secret came out as a degenerate value (all zeroes for X25519/X448, RFC 8031 §2.3).</summary>
    DegenerateSharedSecret,
}

/// <summary>
/// One side of one key exchange (RFC 7296 §1.2, RFC 9370). Diffie-Hellman methods send a public value in both
/// directions; KEMs send an encapsulation key from the initiator and a ciphertext back from the responder.
/// </summary>
public interface IKeyExchange : IDisposable
{
    /// <summary>
    /// The KE payload data this side sends: for the initiator available at once, for a KEM responder only after
    /// <see cref="Respond"/>.
    /// </summary>
    ReadOnlySpan<byte> PublicValue { get; }

    /// <summary>Responder: consumes the initiator's KE data, prepares <see cref="PublicValue"/> and yields the shared secret.</summary>
    KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret);

    /// <summary>Initiator: consumes the responder's KE data and yields the shared secret.</summary>
    KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret);
}
