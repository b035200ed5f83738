namespace Portcullis.Core.Crypto.Registry;

/// <summary>An INTEG transform: a MAC with a fixed key size, truncated to its ICV size.</summary>
public sealed class IntegrityTransform : Transform
{
    private readonly Func<ReadOnlySpan<byte>, IIntegrity> _factory;

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

    /// <inheritdoc />
    public override string Kind => "integrity";

    /// <summary>Keys the MAC; throws for a key of the wrong length.</summary>
    public IIntegrity Create(ReadOnlySpan<byte> key)
    {
        CheckLength(key, KeySize, Keyword);
        return _factory(key);
    }
}
