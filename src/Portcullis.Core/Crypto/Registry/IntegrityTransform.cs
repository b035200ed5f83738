namespace Portcullis.Core.Crypto.Registry;

/// <summary>
/// An INTEG transform: a MAC with a fixed key size, truncated to its ICV size; or AES-GMAC for AH (RFC 4543 §4),
/// which takes a per-packet IV (<see cref="IvSize"/>) and is keyed with <see cref="CreateWithIv"/>.
/// </summary>
public sealed class IntegrityTransform : Transform
{
    private readonly Func<ReadOnlySpan<byte>, IIntegrity>? _factory;
    private readonly Func<ReadOnlySpan<byte>, IIvIntegrity>? _ivFactory;

    internal IntegrityTransform(ushort id, int keyBits, string keyword, string name, string reference, int keySize, int icvSize, int ivSize,
        Func<ReadOnlySpan<byte>, IIvIntegrity> factory)
        : base(TransformType.Integrity, id, keyBits, keyword, name, reference, legacy: false)
    {
        KeySize = keySize;
        IcvSize = icvSize;
        IvSize = ivSize;
        _ivFactory = factory;
    }

    internal IntegrityTransform(ushort id, string keyword, string name, string reference, bool legacy, int keySize, int icvSize,
        Func<ReadOnlySpan<byte>, IIntegrity> factory)
        : base(TransformType.Integrity, id, 0, keyword, name, reference, legacy)
    {
        KeySize = keySize;
        IcvSize = icvSize;
        _factory = factory;
    }

    /// <summary>Bytes of key (SK_a, or an ESP integrity key).</summary>
    public int KeySize { get; }

    /// <summary>Bytes of the truncated ICV.</summary>
    public int IcvSize { get; }

    /// <summary>Bytes of IV each packet carries before the ICV (8 for AES-GMAC in AH); 0 for a plain MAC.</summary>
    public int IvSize { get; }

    /// <summary>
    /// Usable in AH: every ESP integrity transform, and AES-GMAC, which ESP negotiates as the encryption transform
    /// ENCR_NULL_AUTH_AES_GMAC instead (RFC 4543 §3).
    /// </summary>
    public bool ForAh => ForEsp || IvSize > 0;

    /// <inheritdoc />
    public override string Kind => "integrity";

    /// <summary>Keys the MAC; throws for a key of the wrong length, or for a transform that takes an IV (see <see cref="CreateWithIv"/>).</summary>
    public IIntegrity Create(ReadOnlySpan<byte> key)
    {
        CheckLength(key, KeySize, Keyword);
        return _factory is not null ? _factory(key) : throw new InvalidOperationException($"{Keyword} takes a per-packet IV: key it with {nameof(CreateWithIv)}");
    }

    /// <summary>Keys a transform that takes a per-packet IV (AES-GMAC): the key material is the AES key ‖ 4-byte salt.</summary>
    public IIvIntegrity CreateWithIv(ReadOnlySpan<byte> keyMaterial)
    {
        CheckLength(keyMaterial, KeySize, Keyword);
        return _ivFactory is not null ? _ivFactory(keyMaterial) : throw new InvalidOperationException($"{Keyword} takes no IV: key it with {nameof(Create)}");
    }
}
