namespace Portcullis.Core.Crypto.Registry;

/// <summary>A PRF transform. HMAC PRFs take a key of any length; the AES PRFs are fixed at 16 bytes (RFC 7296 §2.14).</summary>
public sealed class PrfTransform : Transform
{
    private readonly Func<ReadOnlySpan<byte>, IPrf> _factory;

    internal PrfTransform(ushort id, string keyword, string name, string reference, bool legacy, int keySize, int outputSize, bool fixedKeySize,
        Func<ReadOnlySpan<byte>, IPrf> factory)
        : base(TransformType.Prf, id, 0, keyword, name, reference, legacy)
    {
        KeySize = keySize;
        OutputSize = outputSize;
        FixedKeySize = fixedKeySize;
        _factory = factory;
        ForEsp = false;
    }

    /// <summary>The preferred key length: the length of SK_d, SK_pi and SK_pr (RFC 7296 §2.13).</summary>
    public int KeySize { get; }

    /// <summary>Bytes per output block.</summary>
    public int OutputSize { get; }

    /// <summary>
    /// The PRF's own key size is fixed (AES-XCBC/CMAC): SKEYSEED then takes half its key from Ni and half from Nr
    /// (RFC 7296 §2.14).
    /// </summary>
    public bool FixedKeySize { get; }

    /// <summary>
    /// The hash an HMAC PRF is built on (null for the AES PRFs). IKEv1 negotiates this hash and uses it bare too: for
    /// the phase 1 IV and NAT-D (RFC 2409 Appendix B, RFC 3947 §3.2).
    /// </summary>
    public System.Security.Cryptography.HashAlgorithmName? Hash { get; init; }

    /// <inheritdoc />
    public override string Kind => "prf";

    /// <summary>Keys the PRF with a key of any length (the PRF itself adapts it, as RFC 4434 and 4615 say).</summary>
    public IPrf Create(ReadOnlySpan<byte> key) => _factory(key);
}
