namespace Portcullis.Core.Crypto;

/// <summary>IKEv2 transform types (RFC 7296 §3.3.2, IANA "Transform Type Values").</summary>
public enum TransformType : byte
{
    /// <summary>ENCR: a cipher, or an AEAD that also protects integrity.</summary>
    Encryption = 1,
    /// <summary>PRF: the pseudo-random function used to derive keys.</summary>
    Prf = 2,
    /// <summary>INTEG: integrity algorithm (absent with AEAD ciphers).</summary>
    Integrity = 3,
    /// <summary>KE (formerly D-H): the key exchange method.</summary>
    KeyExchange = 4,
    /// <summary>ESN: whether extended sequence numbers are used.</summary>
    ExtendedSequenceNumbers = 5,
}
