namespace Portcullis.Core.Crypto.Registry;

/// <summary>
/// One entry of the transform registry: an IANA transform (with its key length, where the Key Length attribute
/// distinguishes variants) and the strongSwan proposal keyword that names it. Sizes are checked here, once, when a
/// transform is keyed, so the implementations can trust their inputs.
/// </summary>
public abstract class Transform
{
    private protected Transform(TransformType type, ushort id, int keyBits, string keyword, string name, string reference, bool legacy)
    {
        Type = type;
        Id = id;
        KeyBits = keyBits;
        Keyword = keyword;
        Name = name;
        Reference = reference;
        Legacy = legacy;
    }

    /// <summary>IKEv2 transform type.</summary>
    public TransformType Type { get; }

    /// <summary>IKEv2 transform ID (IANA "IKEv2 Transform Type N - … Transform IDs").</summary>
    public ushort Id { get; }

    /// <summary>The Key Length attribute (bits) for ciphers with variable keys; 0 where the transform carries none.</summary>
    public int KeyBits { get; }

    /// <summary>strongSwan's proposal keyword (<c>aes128gcm16</c>, <c>prfsha384</c>, <c>ecp256</c>).</summary>
    public string Keyword { get; }

    /// <summary>Other keywords strongSwan accepts for the same transform.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The IANA name (<c>ENCR_AES_GCM_16</c>).</summary>
    public string Name { get; }

    /// <summary>The defining document.</summary>
    public string Reference { get; }

    /// <summary>Weak or obsolete: never proposed or accepted unless a configuration names it explicitly.</summary>
    public bool Legacy { get; }

    /// <summary>Usable in IKE SAs (as opposed to only in ESP/AH, like ENCR_NULL and GMAC).</summary>
    public bool ForIke { get; init; } = true;

    /// <summary>Usable in ESP/AH CHILD SAs (as opposed to only in IKE, like PRFs).</summary>
    public bool ForEsp { get; init; } = true;

    /// <summary>IKEv1 phase 1 attribute value (RFC 2409 App. A: Encryption Algorithm, Hash Algorithm, Group Description), if any.</summary>
    public ushort? Ikev1Phase1Id { get; init; }

    /// <summary>IKEv1 phase 2 value (RFC 2407 §4.4.4 ESP transform ID, or §4.5 Authentication Algorithm), if any.</summary>
    public ushort? Ikev1Phase2Id { get; init; }

    /// <summary>
    /// IKEv1 AH transform ID of an integrity algorithm (RFC 2407 §4.4.3, IANA "IPSEC AH Transform Identifiers"), if
    /// any: AH names its algorithm by transform ID and repeats it as the Authentication Algorithm attribute.
    /// </summary>
    public ushort? Ikev1AhId { get; init; }

    /// <summary>What kind of algorithm this is, for listings.</summary>
    public abstract string Kind { get; }

    /// <inheritdoc />
    public override string ToString() => Keyword;

    /// <summary>Throws for key material of the wrong length: a bug in key derivation, never peer input.</summary>
    private protected static void CheckLength(ReadOnlySpan<byte> key, int expected, string what)
    {
        if (key.Length != expected)
            throw new ArgumentException($"{what} needs {expected} bytes of key material, got {key.Length}");
    }
}
