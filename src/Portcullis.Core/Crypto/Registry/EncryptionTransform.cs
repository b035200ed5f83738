namespace Portcullis.Core.Crypto.Registry;

/// <summary>An ENCR transform: either a cipher used with an integrity transform, or an AEAD.</summary>
public sealed class EncryptionTransform : Transform
{
    private readonly Func<ReadOnlySpan<byte>, ICipher>? _cipher;
    private readonly Func<ReadOnlySpan<byte>, IAead>? _aead;

    internal EncryptionTransform(ushort id, int keyBits, string keyword, string name, string reference, bool legacy,
        int keySize, int saltSize, int ivSize, int blockSize, int icvSize,
        Func<ReadOnlySpan<byte>, ICipher>? cipher = null, Func<ReadOnlySpan<byte>, IAead>? aead = null)
        : base(TransformType.Encryption, id, keyBits, keyword, name, reference, legacy)
    {
        KeySize = keySize;
        SaltSize = saltSize;
        IvSize = ivSize;
        BlockSize = blockSize;
        IcvSize = icvSize;
        _cipher = cipher;
        _aead = aead;
    }

    /// <summary>Bytes of cipher key.</summary>
    public int KeySize { get; }

    /// <summary>Bytes of salt or nonce taken from the key material after the key (RFC 4106, 4309, 3686, 7634).</summary>
    public int SaltSize { get; }

    /// <summary>Key material the KDF must produce: key ‖ salt.</summary>
    public int KeyMaterialSize => KeySize + SaltSize;

    /// <summary>Bytes of explicit IV in each packet.</summary>
    public int IvSize { get; }

    /// <summary>The cipher's block size, the unit payloads are padded to (ESP pads to at least 4).</summary>
    public int BlockSize { get; }

    /// <summary>ICV size of an AEAD; 0 for a plain cipher.</summary>
    public int IcvSize { get; }

    /// <summary>Combined mode: no separate integrity transform is negotiated with it.</summary>
    public bool IsAead => _aead is not null;

    /// <inheritdoc />
    public override string Kind => IsAead ? "aead" : "encryption";

    /// <summary>Keys the cipher; throws if this is an AEAD or the key material has the wrong length.</summary>
    public ICipher CreateCipher(ReadOnlySpan<byte> keyMaterial)
    {
        if (_cipher is null) throw new InvalidOperationException($"{Keyword} is an AEAD");
        CheckLength(keyMaterial, KeyMaterialSize, Keyword);
        return _cipher(keyMaterial);
    }

    /// <summary>Keys the AEAD; throws if this is a plain cipher or the key material has the wrong length.</summary>
    public IAead CreateAead(ReadOnlySpan<byte> keyMaterial)
    {
        if (_aead is null) throw new InvalidOperationException($"{Keyword} is not an AEAD");
        CheckLength(keyMaterial, KeyMaterialSize, Keyword);
        return _aead(keyMaterial);
    }
}
